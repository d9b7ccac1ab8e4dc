#if !FUZZING
import VigilFuzzSupport

/// Without libFuzzer (ordinary builds), the harness runs once over each file named on the command
/// line: the way to replay a crash file found by `make fuzz`.
@main
struct Reproducer {
    static func main() {
        FuzzSupport.reproduce(CommandLine.arguments.dropFirst(), fuzzAzure)
    }
}
#endif
