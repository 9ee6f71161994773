import FerryBench
import Testing

@Suite struct SyscallCountTests {
    /// `strace -c -f` as Debian's strace 6.1 writes it: an errors column only where there are errors.
    private let table = """
        % time     seconds  usecs/call     calls    errors syscall
        ------ ----------- ----------- --------- --------- ----------------
         31.25    0.000250           1       210           recvfrom
         25.00    0.000200           0       420           close
         12.50    0.000100           0       212         2 accept
          0.00    0.000000           0         1         1 access
        ------ ----------- ----------- --------- --------- ----------------
        100.00    0.000800           0       843         3 total
        """

    @Test func callsAreReadByNameWithoutTheTotal() {
        let counts = SyscallCount.parse(table)
        #expect(counts == ["recvfrom": 210, "close": 420, "accept": 212, "access": 1])
    }

    @Test func somethingElseGivesNothing() {
        #expect(SyscallCount.parse("strace: exec: No such file or directory\n").isEmpty)
    }
}
