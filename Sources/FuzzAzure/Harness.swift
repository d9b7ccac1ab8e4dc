// libFuzzer harness for the Azure Activity / Entra / Storage parser: arbitrary bytes as one record. Any trap is a finding.
// Built by `make fuzz`; otherwise a reproducer over files (see Reproducer.swift).
import VigilFuzzSupport
import VigilParsing

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAzure(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    FuzzSupport.parseOne(AzureParser(keepAllRaw: true), data, size)
}
