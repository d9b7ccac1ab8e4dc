// libFuzzer harness for the mapped JSON-lines parser (with the Okta example mapping's shape): arbitrary bytes as one record. Any trap is a finding.
// Built by `make fuzz`; otherwise a reproducer over files (see Reproducer.swift).
import Foundation
import VigilFuzzSupport
import VigilParsing

/// A mapping of the shape in Models/mapping-example.json, built in code so the harness needs no file.
let fuzzMapping: FieldMapping = try! JSONDecoder().decode(FieldMapping.self, from: Data(#"""
{"time":"published","id":"uuid","principal":["actor.alternateId","actor.id"],"action":"eventType","resource":"target.id",
 "sourceIP":"client.ipAddress","bytesOut":"debug.bytes","outcome":{"field":"outcome.result","denied":["DENY"],"error":["FAILURE"]}}
"""#.utf8))

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMapped(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    FuzzSupport.parseOne(MappedParser(mapping: fuzzMapping), data, size)
}
