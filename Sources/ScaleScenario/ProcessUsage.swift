#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// CPU time and memory of this process (controller, API server, broker client and fleet together
/// when the scenario runs them in one process).
public struct ProcessUsage: Sendable, Hashable {
    /// User + system CPU time so far.
    public var cpu: Duration
    /// Resident set size now and at its peak, in bytes.
    public var residentBytes: Int
    public var peakResidentBytes: Int

    public static func now() -> ProcessUsage {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func duration(_ time: timeval) -> Duration { .seconds(Int64(time.tv_sec)) + .microseconds(Int64(time.tv_usec)) }
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        let statm = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8)) ?? ""
        let resident = statm.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return ProcessUsage(cpu: duration(usage.ru_utime) + duration(usage.ru_stime), residentBytes: resident * pageSize,
                            peakResidentBytes: Int(usage.ru_maxrss) * 1024)
    }

    /// CPU used since `earlier`, as a share of one core over `elapsed`.
    public func cores(since earlier: ProcessUsage, over elapsed: Duration) -> Double {
        elapsed > .zero ? (cpu - earlier.cpu).seconds / elapsed.seconds : 0
    }
}
