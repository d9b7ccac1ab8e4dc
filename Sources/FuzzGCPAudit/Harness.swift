// libFuzzer harness for the GCP Cloud Audit Logs parser: arbitrary bytes as one record. Any trap is a finding.
// Built by `make fuzz`; otherwise a reproducer over files (see Reproducer.swift).
import VigilFuzzSupport
import VigilParsing

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGCPAudit(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    FuzzSupport.parseOne(GCPAuditParser(keepAllRaw: true), data, size)
}
