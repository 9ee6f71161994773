/// Why a run could not go ahead, by the exit status it leads to.
public enum FerryRunError: Error, Equatable, CustomStringConvertible {
    /// A scenario is invalid or a file it names is missing (exit status 2).
    case invalidScenario(String)
    /// This machine cannot run it: no privileges for namespaces, a missing tool (exit status 3).
    case environment(String)

    public var description: String {
        switch self {
        case .invalidScenario(let message), .environment(let message): message
        }
    }

    /// The runner's exit status for this error.
    public var exitStatus: Int32 {
        switch self {
        case .invalidScenario: 2
        case .environment: 3
        }
    }
}
