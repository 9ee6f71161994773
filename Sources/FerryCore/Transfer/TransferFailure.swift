/// Why a transfer is not correct.
enum TransferFailure: Error {
    /// The connection closed before its first byte: not a transfer at all.
    case empty
    case incomplete(String)
    case refused(HeaderRefusal)
    case different(String)
    case storeFailed(String)
}
