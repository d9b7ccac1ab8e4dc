import VigilCore

/// Azure (Activity Log, Entra sign-ins, Storage blob logs) and S3 access-log activity, and their attacks.
extension Simulator {
    mutating func azureActivity() {
        let everyone = people
        let users = Array(everyone.suffix(everyone.count * 2 / 5))
        let ops: [(String, String, Double)] = [
            ("Microsoft.Compute/virtualMachines/start/action", "/subscriptions/5e1f0000-acme/resourceGroups/app/providers/Microsoft.Compute/virtualMachines/vm-", 4),
            ("Microsoft.Resources/deployments/write", "/subscriptions/5e1f0000-acme/resourceGroups/app/providers/Microsoft.Resources/deployments/deploy-", 3),
            ("Microsoft.Web/sites/write", "/subscriptions/5e1f0000-acme/resourceGroups/web/providers/Microsoft.Web/sites/site-", 2),
            ("Microsoft.Compute/virtualMachines/deallocate/action", "/subscriptions/5e1f0000-acme/resourceGroups/app/providers/Microsoft.Compute/virtualMachines/vm-", 2),
        ]
        for u in users {
            let upn = u.name + "@acme.onmicrosoft.com"
            let ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/124.0"
            for (start, n) in sessions(u, perDay: 1...1, calls: 1...6) {
                let ip = crng.chance(0.7) ? u.ips[0] : u.ips[2]
                var t = start
                let sid = crng.uuid()
                emitCloud("azure.jsonl", CloudRecords.entraSignIn(time: t, id: sid, upn: upn, name: u.name, ip: ip, ua: ua, app: "Azure Portal", error: 0),
                          at: t, id: "\(sid)|Sign-in activity|0")
                for _ in 0..<n {
                    t += Int64(crng.exponential(mean: 120) * 1000) + 5000
                    let (op, prefix, _) = crng.weighted(ops.map { ($0, $0.2) })
                    let c = crng.uuid()
                    emitCloud("azure.jsonl", CloudRecords.azureActivity(time: t, correlation: c, upn: upn, ip: ip, operation: op, resource: prefix + String(crng.int(1...9))),
                              at: t, id: "\(c)|\(op)|Success")
                }
            }
        }
        // An application reads and writes blobs around the clock with its managed identity.
        let app = "{\"type\":\"OAuth\",\"requester\":{\"appId\":\"5a7e0000-app1\",\"objectId\":\"0b1d0000-mi-reporting\"}}"
        var t = day(0)
        while t < day(config.days) {
            t += Int64(crng.exponential(mean: 240) * 1000) + 1000
            let c = crng.uuid()
            let op = crng.chance(0.7) ? "GetBlob" : "PutBlob"
            emitCloud("azure.jsonl", CloudRecords.azureBlob(time: t, correlation: c, operation: op, status: op == "GetBlob" ? 200 : 201, ip: "20.42.\(crng.int(0...3)).\(crng.int(1...250))",
                                                            identity: app, account: "acmereports", key: "daily/\(crng.hex(6)).json", bytes: crng.int(10_000...600_000),
                                                            ua: "azsdk-python-storage-blob/12.19.0"), at: t, id: "\(c)|\(op)|\(op == "GetBlob" ? 200 : 201)")
        }
        azureAttacks(users)
    }

    mutating func azureAttacks(_ users: [Actor]) {
        guard users.count >= 4 else { return }
        let tool = "python-requests/2.31.0"
        func activity(_ who: Actor, _ ip: String, _ ops: [(String, String)], from t0: Int64, _ scenario: String) -> Int64 {
            var t = t0
            let upn = who.name + "@acme.onmicrosoft.com"
            let sid = crng.uuid()
            emitCloud("azure.jsonl", CloudRecords.entraSignIn(time: t, id: sid, upn: upn, name: who.name, ip: ip, ua: tool, app: "Microsoft Azure CLI", error: 0),
                      at: t, id: "\(sid)|Sign-in activity|0", label: "attack", scenario: scenario)
            for (op, res) in ops {
                t += Int64(crng.int(20_000...90_000))
                let c = crng.uuid()
                emitCloud("azure.jsonl", CloudRecords.azureActivity(time: t, correlation: c, upn: upn, ip: ip, operation: op, resource: res),
                          at: t, id: "\(c)|\(op)|Success", label: "attack", scenario: scenario)
            }
            return t
        }
        let sub = "/subscriptions/5e1f0000-acme/resourceGroups/data/providers"
        // Z1: storage keys listed, then the account drained with the key from the same VPS.
        let ip1 = crng.publicIP(firstOctets: Simulator.vpsOctets)
        var t = activity(users[0], ip1, [("Microsoft.Storage/storageAccounts/read", "\(sub)/Microsoft.Storage/storageAccounts/acmefinance"),
                                         ("Microsoft.Storage/storageAccounts/listKeys/action", "\(sub)/Microsoft.Storage/storageAccounts/acmefinance")],
                         from: day(3) + Int64(2.4 * Double(EventTime.hour)), "azure-storage-key-exfiltration")
        for i in 0..<400 {
            t += Int64(crng.int(300...2500))
            let c = crng.uuid()
            emitCloud("azure.jsonl", CloudRecords.azureBlob(time: t, correlation: c, operation: "GetBlob", status: 200, ip: ip1, identity: "{\"type\":\"AccountKey\"}",
                                                            account: "acmefinance", key: "ledger/\(i)-\(crng.hex(4)).xlsx", bytes: crng.int(2_000_000...9_000_000), ua: tool),
                      at: t, id: "\(c)|GetBlob|200", label: "attack", scenario: "azure-storage-key-exfiltration")
        }
        // Z2: diagnostic settings removed before acting.
        _ = activity(users[1], crng.publicIP(firstOctets: Simulator.vpsOctets),
                     [("Microsoft.Insights/diagnosticSettings/delete", "/subscriptions/5e1f0000-acme/providers/microsoft.insights/diagnosticSettings/to-sentinel")],
                     from: day(4) + Int64(23.2 * Double(EventTime.hour)), "azure-diagnostics-deleted")
        // Z3: a disk exported through a SAS download URL.
        _ = activity(users[2], crng.publicIP(firstOctets: Simulator.vpsOctets),
                     [("Microsoft.Compute/disks/read", "\(sub)/Microsoft.Compute/disks/db-data"),
                      ("Microsoft.Compute/disks/beginGetAccess/action", "\(sub)/Microsoft.Compute/disks/db-data")],
                     from: day(6) + Int64(4.6 * Double(EventTime.hour)), "azure-disk-exported")
    }

    /// S3 server access logs of the data-lake and public-assets buckets: the reader roles of the
    /// analytics platform (their own principals, since CloudTrail data events are not enabled for
    /// these buckets) and anonymous browsers on the public site.
    mutating func s3AccessActivity() {
        let readers = (0..<4).map { i in (role: "datalake-reader-\(i)", ips: (0..<3).map { _ in crng.publicIP(firstOctets: [3, 18, 52, 54]) }, ua: "aws-sdk-java/2.20.162 Linux/5.10 OpenJDK_64-Bit_Server_VM/17") }
        var t = day(0)
        while t < day(config.days) {
            t += Int64(crng.exponential(mean: 90) * 1000) + 1000
            let r = readers[crng.int(0...3)]
            let requester = "arn:aws:sts::\(org.account):assumed-role/\(r.role)/\(r.role)-task"
            let rid = crng.upperAlnum(16)
            emitCloud("s3-access.log", CloudRecords.s3Access(time: t, requestID: rid, bucket: "acme-datalake-curated", ip: crng.pick(r.ips), requester: requester,
                                                             op: "REST.GET.OBJECT", key: "tables/orders/part-\(crng.int(0...400)).parquet", status: 200,
                                                             bytes: crng.int(200_000...8_000_000), ua: r.ua), at: t, id: rid)
            if crng.chance(0.3) {   // the public website assets, fetched by browsers from everywhere
                let rid2 = crng.upperAlnum(16)
                emitCloud("s3-access.log", CloudRecords.s3Access(time: t + 500, requestID: rid2, bucket: "acme-public-assets", ip: crng.publicIP(firstOctets: Simulator.ispOctets),
                                                                 requester: "-", op: "REST.GET.OBJECT", key: "img/\(crng.int(1...60)).png", status: 200,
                                                                 bytes: crng.int(5_000...80_000), ua: Simulator.browser), at: t + 500, id: rid2)
            }
        }
        // S1: a reader role's credentials used from a VPS to list and pull a bucket it never reads.
        let ip = crng.publicIP(firstOctets: Simulator.vpsOctets)
        var at = day(5) + Int64(3.4 * Double(EventTime.hour))
        let requester = "arn:aws:sts::\(org.account):assumed-role/datalake-reader-1/exfil-\(crng.hex(4))"
        for i in 0..<300 {
            at += Int64(crng.int(200...1500))
            let rid = crng.upperAlnum(16)
            emitCloud("s3-access.log", CloudRecords.s3Access(time: at, requestID: rid, bucket: i < 5 ? "acme-datalake-curated" : "customer-pii-archive", ip: ip, requester: requester,
                                                             op: i < 5 ? "REST.GET.BUCKET" : "REST.GET.OBJECT", key: i < 5 ? "-" : "export/\(i)-\(crng.hex(5)).csv.gz",
                                                             status: 200, bytes: crng.int(1_000_000...9_000_000), ua: Simulator.attackerAgents[3]),
                      at: at, id: rid, label: "attack", scenario: "s3-access-log-exfiltration")
        }
    }
}
