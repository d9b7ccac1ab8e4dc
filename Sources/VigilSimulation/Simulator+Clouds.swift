import VigilCore

/// GCP, Azure and S3 access-log activity of the same organisation (`--cloud aws,gcp,azure`), with
/// their own labelled attacks. Generated from a second random stream, so the AWS logs of a seed
/// stay byte-identical whichever clouds are added.
extension Simulator {
    mutating func emitCloud(_ stream: String, _ line: String, at t: Int64, id: String, label: String? = nil, scenario: String = "") {
        cloud.append(SimEvent(time: t, seq: cloud.count, json: line, id: id, label: label, scenario: scenario, stream: stream))
    }

    var people: [Actor] { actors.filter { [.developer, .analyst, .admin].contains($0.persona) && !$0.dormant && $0.kind == .iamUser } }

    /// Work sessions of a person on weekdays: (start time, number of calls).
    mutating func sessions(_ a: Actor, perDay: ClosedRange<Int>, calls: ClosedRange<Int>) -> [(Int64, Int)] {
        var out: [(Int64, Int)] = []
        for d in 0..<config.days where d % 7 < 5 && !crng.chance(0.1) {
            for _ in 0..<crng.int(perDay) {
                let local = Double(crng.int(9 * 60...17 * 60)) / 60
                out.append((day(d) + Int64((local - Double(a.utcOffset)) * Double(EventTime.hour)), crng.int(calls)))
            }
        }
        return out
    }

    mutating func gcpActivity() {
        let users = Array(people.prefix(people.count * 2 / 5))
        let methods: [(String, String, Bool, Double)] = [
            ("compute.googleapis.com", "v1.compute.instances.list", true, 5), ("storage.googleapis.com", "storage.objects.get", true, 6),
            ("storage.googleapis.com", "storage.objects.list", true, 3), ("bigquery.googleapis.com", "google.cloud.bigquery.v2.JobService.InsertJob", false, 3),
            ("bigquery.googleapis.com", "google.cloud.bigquery.v2.TableService.GetTable", true, 2),
            ("logging.googleapis.com", "google.logging.v2.LoggingServiceV2.ListLogEntries", true, 2),
            ("iam.googleapis.com", "google.iam.admin.v1.ListServiceAccounts", true, 0.5), ("compute.googleapis.com", "v1.compute.instances.start", false, 0.5),
        ]
        for u in users {
            let email = u.name + "@acme.example"
            let ua = crng.chance(0.5) ? "google-cloud-sdk gcloud/455.0.0 command/gcloud.compute.instances.list" : "Mozilla/5.0 (Macintosh) Chrome/124.0 (Cloud Console)"
            for (start, n) in sessions(u, perDay: 1...2, calls: 3...15) {
                var t = start
                let ip = crng.chance(0.7) ? u.ips[0] : u.ips[2]
                for _ in 0..<n {
                    t += Int64(crng.exponential(mean: 40) * 1000) + 1000
                    let (svc, m, data, _) = crng.weighted(methods.map { ($0, $0.3) })
                    let id = crng.hex(16)
                    emitCloud("gcp-audit.jsonl", CloudRecords.gcp(time: t, id: id, principal: email, ip: ip, ua: ua, service: svc, method: m,
                                                                  resource: "projects/acme-prod/zones/us-central1-a/instances/web-\(crng.int(1...9))", dataAccess: data), at: t, id: id)
                }
            }
        }
        // Service accounts around the clock: monitoring every ~10 minutes, ETL at night.
        var t = day(0)
        while t < day(config.days) {
            t += Int64(crng.exponential(mean: 600) * 1000) + 1000
            let id = crng.hex(16)
            emitCloud("gcp-audit.jsonl", CloudRecords.gcp(time: t, id: id, principal: "monitoring@acme-prod.iam.gserviceaccount.com", ip: "35.191.\(crng.int(0...3)).\(crng.int(1...250))",
                                                          ua: "google-api-go-client/0.5 Stackdriver-Agent", service: "compute.googleapis.com",
                                                          method: "v1.compute.instances.list", resource: "projects/acme-prod", dataAccess: true), at: t, id: id)
        }
        for d in 0..<config.days {
            var t = day(d) + 2 * EventTime.hour + Int64(crng.int(0...900)) * EventTime.second
            for _ in 0..<crng.int(40...90) {
                t += Int64(crng.int(500...9000))
                let id = crng.hex(16)
                emitCloud("gcp-audit.jsonl", CloudRecords.gcp(time: t, id: id, principal: "etl-runner@acme-prod.iam.gserviceaccount.com", ip: "34.72.\(crng.int(0...1)).\(crng.int(1...250))",
                                                              ua: "gcloud-python/3.4 google-cloud-storage", service: "storage.googleapis.com",
                                                              method: "storage.objects.get", resource: "projects/_/buckets/acme-raw/objects/ingest-\(crng.hex(6)).json", dataAccess: true), at: t, id: id)
            }
        }
        gcpAttacks(users)
    }

    mutating func gcpAttacks(_ users: [Actor]) {
        guard users.count >= 4 else { return }
        let ua = "python-requests/2.31.0"
        func attack(_ who: String, _ ip: String, _ calls: [(String, String, String, Bool, String?)], from t0: Int64, gap: ClosedRange<Int>, _ scenario: String) {
            var t = t0
            for (svc, m, res, data, sd) in calls {
                t += Int64(crng.int(gap))
                let id = crng.hex(16)
                emitCloud("gcp-audit.jsonl", CloudRecords.gcp(time: t, id: id, principal: who, ip: ip, ua: ua, service: svc, method: m, resource: res, dataAccess: data, serviceData: sd),
                          at: t, id: id, label: "attack", scenario: scenario)
            }
        }
        let vps = { (r: inout SimRandom) in r.publicIP(firstOctets: Simulator.vpsOctets) }
        // G1: a stolen user mints a key for the CI service account, then uses it from the VPS.
        let ip1 = vps(&crng)
        let victim = users[1].name + "@acme.example"
        let sa = "ci-deployer@acme-prod.iam.gserviceaccount.com"
        attack(victim, ip1, [("iam.googleapis.com", "google.iam.admin.v1.ListServiceAccounts", "projects/acme-prod", true, nil),
                             ("iam.googleapis.com", "google.iam.admin.v1.CreateServiceAccountKey", "projects/-/serviceAccounts/\(sa)", false, nil)],
               from: day(2) + Int64(3.2 * Double(EventTime.hour)), gap: 20_000...90_000, "gcp-service-account-key")
        attack(sa, ip1, [("storage.googleapis.com", "storage.buckets.list", "projects/acme-prod", true, nil)]
               + (0..<30).map { _ in ("storage.googleapis.com", "storage.objects.get", "projects/_/buckets/acme-finance/objects/q\(crng.int(1...4))-\(crng.hex(4)).csv", true, nil) },
               from: day(2) + Int64(3.5 * Double(EventTime.hour)), gap: 2_000...9_000, "gcp-service-account-key")
        // G2: a bucket opened to allUsers.
        let delta = "{\"@type\":\"type.googleapis.com/google.iam.v1.logging.AuditData\",\"policyDelta\":{\"bindingDeltas\":[{\"action\":\"ADD\",\"role\":\"roles/storage.objectViewer\",\"member\":\"allUsers\"}]}}"
        attack(users[2].name + "@acme.example", vps(&crng), [("storage.googleapis.com", "storage.getIamPermissions", "projects/_/buckets/acme-backups", true, nil),
                                                              ("storage.googleapis.com", "storage.setIamPermissions", "projects/_/buckets/acme-backups", false, delta)],
               from: day(4) + Int64(1.1 * Double(EventTime.hour)), gap: 15_000...60_000, "gcp-bucket-made-public")
        // G3: the audit-log export sink deleted.
        attack(users[3].name + "@acme.example", vps(&crng), [("logging.googleapis.com", "google.logging.v2.ConfigServiceV2.ListSinks", "projects/acme-prod", true, nil),
                                                              ("logging.googleapis.com", "google.logging.v2.ConfigServiceV2.DeleteSink", "projects/acme-prod/sinks/org-audit-export", false, nil)],
               from: day(5) + Int64(22.7 * Double(EventTime.hour)), gap: 10_000...40_000, "gcp-logging-sink-deleted")
    }
}
