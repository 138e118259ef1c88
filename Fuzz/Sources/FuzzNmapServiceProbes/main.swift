// Fuzzes the reader of nmap's nmap-service-probes format (ServiceRules.nmapServiceProbes): it
// keeps the NULL and GetRequest matches it can compile and skips the others. Checks: errors name
// a line of the file (0 for a file without any Probe line) and stay on one line; kept and skipped
// matches are no more than the match lines.
import FuzzSupport

@testable import ReconCore

let path = "fuzz-service-probes"

fuzz { bytes in
    let text = bytes.text
    let rules: ServiceRules
    do throws(ServiceRulesError) {
        rules = try ServiceRules.nmapServiceProbes(path: path, text: text)
    } catch {
        checkLineError(line: error.line, description: error.description, in: text, prefix: nil, firstLine: 0)
        return
    }
    // Counted as the reader sees lines: words split at scalars, not graphemes (a space followed by
    // a combining mark is one Character but still ends the word).
    let matchLines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        .filter { line in
            let isSpace = { (scalar: Unicode.Scalar) in scalar == " " || scalar == "\t" || scalar == "\r" }
            let word = String(
                String.UnicodeScalarView(line.unicodeScalars.drop(while: isSpace).prefix { !isSpace($0) }))
            return word == "match" || word == "softmatch"
        }
    invariant(rules.matchCount + rules.skippedMatchCount <= matchLines.count, "more matches than match lines")
    invariant(rules.probeCount == 0, "nmap's probes are never sent")
}
