import Foundation
import Testing
@testable import VigilSources

@Suite struct InputPlannerTests {
    @Test func nameTime_readsCloudTrailObjectNames() {
        #expect(InputPlanner.nameTime("AWSLogs/1/CloudTrail/us-east-1/2024/05/01/111122223333_CloudTrail_us-east-1_20240501T0310Z_Ab12.json.gz") == 202405010310)
        #expect(InputPlanner.nameTime("notes.txt") == nil)
    }

    @Test func order_putsTimedFilesFirstInTimeOrderThenOthersByPath() {
        let files = ["z/1_CloudTrail_eu-west-1_20240501T0300Z_b.json.gz", "a/other.jsonl",
                     "a/1_CloudTrail_us-east-1_20240501T0310Z_a.json.gz", "b/1_CloudTrail_us-east-1_20240501T0300Z_a.json.gz"]
        #expect(InputPlanner.order(files) == ["b/1_CloudTrail_us-east-1_20240501T0300Z_a.json.gz",
                                              "z/1_CloudTrail_eu-west-1_20240501T0300Z_b.json.gz",
                                              "a/1_CloudTrail_us-east-1_20240501T0310Z_a.json.gz", "a/other.jsonl"])
    }

    @Test func expand_whenPathMissing_throwsNotFound() {
        #expect(throws: SourceError.notFound("/no/such/path")) { try InputPlanner.expand(["/no/such/path"]) }
    }

    @Test func expand_skipsHiddenFilesAndRecurses() throws {
        let dir = NSTemporaryDirectory() + "vigil-src-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir + "/sub/deeper", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: dir + "/.hidden", contents: Data())
        FileManager.default.createFile(atPath: dir + "/sub/deeper/x.json", contents: Data())
        FileManager.default.createFile(atPath: dir + "/a.json", contents: Data())
        #expect(try InputPlanner.expand([dir]).map(\.name) == [dir + "/a.json", dir + "/sub/deeper/x.json"])
    }
}
