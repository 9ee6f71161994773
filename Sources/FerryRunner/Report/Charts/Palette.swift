/// The report's colours, each with one meaning.
enum Palette {
    static let client = "#2563eb"
    /// tcp client: the handshake's part of a transfer.
    static let connect = "#93c5fd"
    static let server = "#d97706"
    /// An incorrect copy: differing or missing.
    static let incorrect = "#dc2626"
    static let average = "#111827"
    static let grid = "#e5e7eb"
    static let axis = "#6b7280"
    /// One colour per case in charts that compare cases; they repeat after nine. No red: red
    /// means an incorrect copy everywhere in the report.
    static let cases = ["#2563eb", "#059669", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#65a30d", "#475569", "#a16207"]

    static func forCase(_ index: Int) -> String { cases[index % cases.count] }
}
