// libFuzzer harness for the GCP audit, Azure/Entra and S3 access-log parsers and format detection:
// the first byte picks the parser (0 auto-detect, 1 GCP, 2 Azure, 3 S3 access), the rest is one
// record. Any trap is a finding. Built by `make fuzz`; otherwise a reproducer over files.
import VigilCore
import VigilParsing

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzParsers(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let formats: [SourceFormat?] = [nil, .gcpAudit, .azureActivity, .s3Access]
    let parser = FormatParser(format: formats[Int(data[0]) % formats.count], keepAllRaw: true)
    let record = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    if case .event(let e) = parser.parse(record, position: SourcePosition(input: "fuzz", offset: 0, line: 1)) {
        precondition(!e.principal.isEmpty && !e.action.isEmpty)
        _ = EventTime.format(e.time)
    }
    return 0
}
