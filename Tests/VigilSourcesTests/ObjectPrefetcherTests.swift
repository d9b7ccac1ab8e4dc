import Foundation
import Testing
@testable import VigilSources

/// Objects fetched ahead of the reader: in the reader's order, a bounded number at a time, each
/// failure thrown where that object is asked for, and an object asked for twice fetched twice.
@Suite struct ObjectPrefetcherTests {
    /// A fake store: records which names were fetched and how many fetches overlapped.
    final class Store: @unchecked Sendable {
        let lock = NSLock()
        var fetched: [String] = []
        var inFlight = 0
        var mostInFlight = 0
        let failing: Set<String>

        init(failing: Set<String> = []) { self.failing = failing }

        func fetch(_ name: String) throws -> [UInt8] {
            lock.lock(); fetched.append(name); inFlight += 1; mostInFlight = max(mostInFlight, inFlight); lock.unlock()
            usleep(2_000)
            lock.lock(); inFlight -= 1; lock.unlock()
            if failing.contains(name) { throw SourceError.remote(name, reason: "HTTP 403 AccessDenied") }
            return Array(name.utf8)
        }
    }

    static let names = (0..<40).map { "s3://trail/AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/o\($0).json.gz" }

    @Test func everyObjectArrivesWholeInOrderWithABoundedWindow() throws {
        let store = Store()
        let p = ObjectPrefetcher(order: Self.names, depth: 4) { try store.fetch($0) }
        for n in Self.names { #expect(try p.bytes(of: n) == Array(n.utf8)) }
        #expect(store.fetched.count == Self.names.count)
        #expect(Set(store.fetched) == Set(Self.names))
        #expect(store.mostInFlight <= 5)   // the window (4) and, at most, the one asked for first
        #expect(store.mostInFlight >= 2)   // and it did overlap
    }

    @Test func aFailureIsThrownForItsObjectOnlyAndTheRestStillArrive() {
        let bad = Self.names[5]
        let store = Store(failing: [bad])
        let p = ObjectPrefetcher(order: Self.names, depth: 3) { try store.fetch($0) }
        for n in Self.names {
            if n == bad {
                #expect(throws: SourceError.remote(bad, reason: "HTTP 403 AccessDenied")) { try p.bytes(of: n) }
            } else {
                #expect((try? p.bytes(of: n)) == Array(n.utf8))
            }
        }
    }

    @Test func anObjectAskedForAgainOrOutOfOrderIsFetchedAgain() throws {
        let store = Store()
        let p = ObjectPrefetcher(order: Self.names, depth: 2) { try store.fetch($0) }
        _ = try p.bytes(of: Self.names[10])   // a probe, out of order
        _ = try p.bytes(of: Self.names[10])   // and the read
        _ = try p.bytes(of: "s3://trail/elsewhere.json")   // not in the plan
        #expect(store.fetched.filter { $0 == Self.names[10] }.count == 2)
        #expect(store.fetched.contains("s3://trail/elsewhere.json"))
    }
}
