/// The assignment's required lines, as templates, exactly as Ferry's `server` and `client` print
/// them (`Messages` in FerryCore; a unit test keeps the two in step).
public enum SeedMessages {
    public static let serverReady = "I am ready for any client side request"
    public static let serverStarting = "I am starting receiving file \"{file}\" for the {nth} time"
    public static let serverFinishing = "I am finishing receiving file \"{file}\" for the {nth} time"
    public static let serverTime = "The time used in millisecond to receive \"{file}\" for {nth} time is: {ms}"
    public static let serverAverage = "The average time to receive file \"{file}\" in millisecond is: {ms}"
    public static let clientConnecting = "I am connecting to server side: {server_ip}"
    public static let clientSending = "I am sending file \"{file}\" for the {nth} time"
    public static let clientFinishing = "I am finishing sending file \"{file}\" for the {nth} time"
    public static let clientTime = "The time used in millisecond to send \"{file}\" for {nth} time is: {ms}"
    public static let clientAverage = "The average time to send file \"{file}\" in millisecond is: {ms}"
    public static let done = "I am done"

    /// The server's required lines in order.
    public static let server: [MessageRule] = [
        MessageRule(.once, serverReady),
        MessageRule(.each, serverStarting),
        MessageRule(.each, serverFinishing),
        MessageRule(.each, serverTime),
        MessageRule(.once, serverAverage),
        MessageRule(.contains, done),
    ]

    /// The client's required lines in order.
    public static let client: [MessageRule] = [
        MessageRule(.once, clientConnecting),
        MessageRule(.each, clientSending),
        MessageRule(.each, clientFinishing),
        MessageRule(.each, clientTime),
        MessageRule(.once, clientAverage),
        MessageRule(.contains, done),
    ]

    /// Indexes of the per-transfer time rule and the average rule in `server` and `client`.
    public static let timeRule = 3
    public static let averageRule = 4
}
