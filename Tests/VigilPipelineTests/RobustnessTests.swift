import Foundation
import Testing
import VigilCore
import VigilPipeline
import VigilSources
import VigilTestSupport

/// Bad input is dead-lettered and counted, never a crash and never a silent drop.
@Suite struct RobustnessTests {
    static func goodLines(_ n: Int, prefix: String) -> [UInt8] {
        Array((0..<n).map {
            TestSupport.cloudTrail(id: "\(prefix)-\($0)", time: "2026-11-02T10:\(String(format: "%02d", $0 % 60)):00Z") + "\n"
        }.joined().utf8)
    }

    @Test func truncatedGzip_deadLettersTheCutAndKeepsWhatDecoded() throws {
        let dir = TestSupport.tempDir()
        let gz = TestSupport.gzip(Self.goodLines(200, prefix: "g"))
        let path = write(Array(gz[0..<(gz.count * 2 / 3)]), "cut.json.gz", in: dir)
        let (_, dead, stats, _) = try runEngine([.file(path)])
        #expect(stats.events > 50 && stats.events < 200)
        #expect(stats.deadLetterReasons["truncated-input"] == 1)
        #expect(dead.count == stats.deadLettered)
    }

    @Test func truncatedZstd_deadLettersTheCut() throws {
        let dir = TestSupport.tempDir()
        let z = TestSupport.zstd(Self.goodLines(200, prefix: "z"))
        let path = write(Array(z[0..<(z.count - 7)]), "cut.jsonl.zst", in: dir)
        let (_, _, stats, _) = try runEngine([.file(path)])
        #expect(stats.deadLetterReasons["truncated-input"] == 1)
    }

    @Test func invalidUTF8_hugeLine_andGarbage_areEachDeadLetteredWithPosition() throws {
        let dir = TestSupport.tempDir()
        var bytes = Self.goodLines(3, prefix: "a")
        var bad = Array(TestSupport.cloudTrail(id: "utf", time: "2026-11-02T10:00:00Z").utf8)
        bad[bad.count - 20] = 0xFF
        bytes += bad + [10]
        bytes += Array("{\"eventID\":\"huge\",\"pad\":\"".utf8) + [UInt8](repeating: 0x61, count: 16 << 20) + Array("\"}\n".utf8)
        bytes += Array("this is not json at all\n".utf8)
        bytes += Self.goodLines(3, prefix: "b")
        let path = write(bytes, "mixed.jsonl", in: dir)
        let (_, dead, stats, _) = try runEngine([.file(path)])
        #expect(stats.events == 6)
        #expect(stats.deadLetterReasons == ["invalid-utf8": 1, "record-too-large": 1, "not-json": 1])
        let huge = try #require(dead.first { $0.reason == "record-too-large" })
        #expect(huge.length > 16 << 20)
        #expect(huge.excerpt.utf8.count <= Limits.deadLetterExcerpt)
        #expect(huge.position.line == 5)
        #expect(dead.first { $0.reason == "invalid-utf8" }?.position.line == 4)
    }

    @Test func randomBytes_neverCrashAndAreAllAccountedFor() throws {
        let dir = TestSupport.tempDir()
        var gen = SystemRandomNumberGenerator()
        for i in 0..<8 {
            var bytes = (0..<300_000).map { _ in UInt8.random(in: 0...255, using: &gen) }
            if i % 4 == 1 { bytes[0] = 0x1f; bytes[1] = 0x8b }                             // looks like gzip
            if i % 4 == 2 { bytes[0] = 0x28; bytes[1] = 0xb5; bytes[2] = 0x2f; bytes[3] = 0xfd }  // looks like zstd
            let path = write(bytes, "random\(i).bin", in: dir)
            let (_, dead, stats, _) = try runEngine([.file(path)])
            #expect(stats.deadLettered > 0)
            #expect(dead.count == stats.deadLettered)
            #expect(stats.records >= stats.events + stats.deadLettered - 1)
        }
    }

    @Test func duplicateEventIDs_areCountedNotProcessedTwice() throws {
        let dir = TestSupport.tempDir()
        let lines = Self.goodLines(10, prefix: "d")
        let path = write(lines + lines, "dup.jsonl", in: dir)
        let (_, _, stats, _) = try runEngine([.file(path)])
        #expect(stats.events == 10)
        #expect(stats.duplicates == 10)
    }

    @Test func recordsWithoutTime_areDeadLetteredAsMissingTime() throws {
        let dir = TestSupport.tempDir()
        let path = write(Array(#"{"eventID":"x","eventName":"GetObject","eventSource":"s3.amazonaws.com"}"#.utf8) + [10], "t.jsonl", in: dir)
        let (_, dead, _, _) = try runEngine([.file(path)])
        #expect(dead.map(\.reason) == ["missing-time"])
    }

    @Test func deliveryFiles_recordsArraysInMultiMemberGzip_areRead() throws {
        let dir = TestSupport.tempDir()
        let recs = (0..<5).map { TestSupport.cloudTrail(id: "r\($0)", time: "2026-11-02T10:0\($0):00Z") }
        let doc1 = "{\"Records\":[" + recs[0..<3].joined(separator: ",") + "]}"
        let doc2 = "{\n  \"Records\": [\n" + recs[3..<5].joined(separator: ",\n") + "\n  ]\n}\n"
        let path = write(TestSupport.gzip(Array(doc1.utf8)) + TestSupport.gzip(Array(doc2.utf8)),
                         "123456789012_CloudTrail_us-east-1_20261102T1000Z_abc.json.gz", in: dir)
        let (_, _, stats, _) = try runEngine([.file(path)])
        #expect(stats.events == 5)
        #expect(stats.deadLettered == 0)
    }
}

@Suite struct MixedFormatTests {
    /// One directory holding CloudTrail, GCP audit, Azure activity and S3 access logs: every record is
    /// recognised and parsed with `--format auto`; a Kubernetes record is refused, not mis-parsed.
    @Test func autoFormat_readsADirectoryMixingFormats() throws {
        let dir = TestSupport.tempDir()
        _ = write(Array((TestSupport.cloudTrail(id: "ct1", time: "2026-11-02T10:00:00Z") + "\n").utf8), "cloudtrail.jsonl", in: dir)
        _ = write(Array(#"{"insertId":"g1","logName":"projects/p/logs/cloudaudit.googleapis.com%2Factivity","timestamp":"2026-11-02T10:01:00.123456Z","protoPayload":{"serviceName":"iam.googleapis.com","methodName":"google.iam.admin.v1.CreateServiceAccountKey","resourceName":"projects/p/serviceAccounts/sa@p.iam.gserviceaccount.com","authenticationInfo":{"principalEmail":"mallory@example.com"},"requestMetadata":{"callerIp":"203.0.113.5","callerSuppliedUserAgent":"google-cloud-sdk"}}}"#.utf8) + [10], "gcp.json", in: dir)
        _ = write(Array(#"{"time":"2026-11-02T10:02:00.0000000Z","operationName":"MICROSOFT.INSIGHTS/DIAGNOSTICSETTINGS/DELETE","category":"Administrative","resultType":"Success","callerIpAddress":"203.0.113.6","correlationId":"c1","identity":{"claims":{"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn":"eve@contoso.com"}},"resourceId":"/subscriptions/s/providers/microsoft.insights/diagnosticSettings/d"}"#.utf8) + [10]
              + Array(#"{"time":"2026-11-02T10:02:30Z","category":"kube-audit","operationName":"Microsoft.ContainerService/managedClusters/diagnosticLogs/Read","properties":{"log":"{}"}}"#.utf8) + [10], "azure.json", in: dir)
        let s3 = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be awsexamplebucket1 [02/Nov/2026:10:03:00 +0000] 192.0.2.3 - 3E57427F3EXAMPLE REST.GET.OBJECT k \"GET /awsexamplebucket1/k HTTP/1.1\" 200 - 113 113 7 - \"-\" \"curl/8.1\" -\n"
        _ = write(Array(s3.utf8), "s3-access.log", in: dir)
        let (alerts, dead, stats, _) = try runEngine(InputPlanner.expand([dir]))
        #expect(stats.events == 4)
        #expect(dead.map(\.reason) == ["unsupported-kind"])
        let rules = Set(alerts.compactMap(\.finding.rule))
        #expect(rules.contains("gcp-service-account-key-created"))
        #expect(rules.contains("azure-diagnostic-settings-deleted"))
        #expect(Set(alerts.map(\.finding.source)).isSuperset(of: [.gcpAudit, .azureActivity]))
    }
}
