/// The rules of one section by the first byte of a reply: for each byte value, in file order,
/// the rules that can match a reply starting with it (those with no literal prefix, and those
/// whose prefix starts with that byte). With thousands of anchored rules (nmap's file), most are
/// never looked at.
struct RuleIndex: Sendable {
    let rules: [MatchRule]
    private let candidates: [[Int]]

    init(_ rules: [MatchRule]) {
        self.rules = rules
        var candidates = [[Int]](repeating: [], count: 256)
        for (position, rule) in rules.enumerated() {
            guard let first = rule.prefilter.prefix.first else {
                for byte in 0..<256 { candidates[byte].append(position) }
                continue
            }
            candidates[Int(first)].append(position)
            if rule.prefilter.caseInsensitive, (0x61...0x7A).contains(first) {
                candidates[Int(first - 0x20)].append(position)
            }
        }
        self.candidates = candidates
    }

    /// The rules worth trying on a reply whose first byte is `byte`, in file order.
    func rules(startingWith byte: UInt8) -> some Sequence<MatchRule> {
        candidates[Int(byte)].lazy.map { rules[$0] }
    }
}
