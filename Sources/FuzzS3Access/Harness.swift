// libFuzzer harness for the S3 server access log parser: arbitrary bytes as one record. Any trap is a finding.
// Built by `make fuzz`; otherwise a reproducer over files (see Reproducer.swift).
import VigilFuzzSupport
import VigilParsing

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzS3Access(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    FuzzSupport.parseOne(S3AccessParser(), data, size)
}
