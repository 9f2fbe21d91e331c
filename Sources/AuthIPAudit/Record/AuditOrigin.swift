/// The computer and process an event is recorded by: `<Computer>` and `<Execution>`.
public struct AuditOrigin: Hashable, Sendable {
    /// The computer's DNS or NetBIOS name.
    public let computer: String
    public let processID: UInt32
    public let threadID: UInt32

    /// Fails when `computer` is empty, longer than 255 characters, or holds anything but
    /// printable ASCII without spaces (it is also the syslog HOSTNAME).
    public init(computer: String, processID: UInt32, threadID: UInt32) throws(AuditModelError) {
        let scalars = computer.unicodeScalars
        guard (1...255).contains(scalars.count), scalars.allSatisfy({ (0x21...0x7E).contains($0.value) }) else {
            throw .invalidComputerName(computer)
        }
        self.computer = computer
        self.processID = processID
        self.threadID = threadID
    }
}
