import Foundation

/// A process's peak resident memory: `VmHWM` in `/proc/<pid>/status`, the high-water mark of its
/// own address space. Not `getrusage`'s `ru_maxrss`: at `exec` Linux folds the peak of the image
/// being replaced into it, so a runner started by a large parent (the bench at a million
/// transfers, 175 MiB) reported its parent's peak as its own.
public enum PeakMemory {
    /// The peak in KiB of process `pid` (`self`: this one); nil when it cannot be read.
    public static func residentKiB(_ pid: String = "self") -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
        else { return nil }
        return Int(line.split(separator: " ").dropFirst().first ?? "")
    }
}
