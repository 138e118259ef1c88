/// The ports `--top-ports N` scans: the first N of the frequency table `policies/top-ports.list`
/// (services most often found listening first), compiled into the binary.
public enum TopPorts {
    /// The table's ports in order (a port listed twice counts once).
    public static let table: [UInt16] = parse(EmbeddedPolicies.topPorts)

    /// The ports of a table's text: numbers 1-65535 separated by white space, `#` comments.
    static func parse(_ text: String) -> [UInt16] {
        var seen = Set<UInt16>()
        return text.linesWithoutComments().flatMap { $0.words() }.compactMap { UInt16($0) }.filter {
            $0 > 0 && seen.insert($0).inserted
        }
    }

    /// The first `count` ports of the table as a port list, or a one-line reason.
    public static func first(_ count: Int) throws(PortSpecError) -> String {
        guard (1...table.count).contains(count) else {
            throw PortSpecError(
                description: "--top-ports takes 1-\(table.count) (the ports of policies/top-ports.list)")
        }
        return table.prefix(count).map(String.init).joined(separator: ",")
    }
}
