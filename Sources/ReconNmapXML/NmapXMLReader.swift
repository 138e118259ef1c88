import Foundation
import ReconCore

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// One element of an nmap XML document as read: its name, attributes, child elements and, for
/// `<cpe>`, its text.
struct NmapElement {
    var name: String
    var attributes: [String: String]
    var children: [NmapElement] = []
    var text = ""

    /// The first child element named `name`.
    func child(_ name: String) -> NmapElement? { children.first { $0.name == name } }

    /// The child elements named `name`, in document order.
    func children(_ name: String) -> [NmapElement] { children.filter { $0.name == name } }

    subscript(attribute: String) -> String? { attributes[attribute] }
}

/// Reads an `<nmaprun>` document with Foundation's `XMLParser` (libxml2's SAX interface). It
/// keeps the run's own small elements (`<scaninfo>`, `<runstats>`) and hands each `<host>` to
/// `hostEnded` as soon as it closes, so memory holds one host's elements at a time.
///
/// Hostile input: `NmapXMLDecoder` refuses entity declarations before this runs. Here, external
/// entities and DTDs are never loaded (`shouldResolveExternalEntities` false, policy `.never`),
/// an undeclared entity reaches the resolver callback, which aborts, libxml2 itself stops
/// entity loops (a billion laughs) with an error, nesting deeper than nmap's documents ever go
/// aborts, and the first error of any kind ends the parse (Foundation parses in libxml2's
/// recover mode, which would go on). Foundation on Linux does not report entity declarations
/// to the delegate, hence the refusal before parsing.
final class NmapXMLReader: NSObject, XMLParserDelegate {
    /// nmap's documents nest six deep (`nmaprun/host/ports/port/service/cpe`).
    static let maximumDepth = 16
    /// `<cpe>` text kept per element; nmap's CPE names are short.
    static let maximumText = 1024

    private let hostEnded: (NmapElement) throws(ReportDecodingError) -> Void
    private var open: [NmapElement] = []
    /// `<nmaprun>` with every child but its hosts, once it has closed.
    private(set) var run: NmapElement?
    /// Why the document was refused, in one line; nil while all is well.
    private(set) var failure: String?

    init(hostEnded: @escaping (NmapElement) throws(ReportDecodingError) -> Void) {
        self.hostEnded = hostEnded
    }

    /// Parses `bytes`; afterwards `run` holds the document or `failure` says why not.
    func parse(_ bytes: [UInt8]) {
        let parser = XMLParser(data: Data(bytes))
        parser.shouldResolveExternalEntities = false
        parser.externalEntityResolvingPolicy = .never
        parser.shouldProcessNamespaces = false
        parser.delegate = self
        let parsed = parser.parse()
        if failure == nil && (!parsed || run == nil) {
            failure = run == nil ? "not nmap's XML: the document has no <nmaprun> element" : "not well-formed XML"
        }
    }

    private func fail(_ parser: XMLParser, _ reason: String) {
        if failure == nil { failure = reason }
        parser.abortParsing()
    }

    func parser(
        _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String]
    ) {
        guard failure == nil else { return }
        if open.isEmpty && run == nil && name != "nmaprun" {
            return fail(parser, "not nmap's XML: the root element is <\(name)>, not <nmaprun>")
        }
        guard open.count < Self.maximumDepth else {
            return fail(parser, "not nmap's XML: elements nested more than \(Self.maximumDepth) deep")
        }
        open.append(NmapElement(name: name, attributes: attributes))
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        guard failure == nil, let element = open.popLast() else { return }
        guard !open.isEmpty else {
            run = element
            return
        }
        if element.name == "host" && open.count == 1 {
            do {
                try hostEnded(element)
            } catch {
                fail(parser, error.description)
            }
        } else {
            open[open.count - 1].children.append(element)
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        guard failure == nil, open.last?.name == "cpe", open[open.count - 1].text.count < Self.maximumText else {
            return
        }
        open[open.count - 1].text += string.prefix(Self.maximumText)
    }

    func parser(_ parser: XMLParser, parseErrorOccurred parseError: any Error) {
        fail(parser, "not well-formed XML (line \(parser.lineNumber), column \(parser.columnNumber))")
    }

    /// Called for an entity that was not declared (declarations were refused before parsing).
    func parser(_ parser: XMLParser, resolveExternalEntityName name: String, systemID: String?) -> Data? {
        fail(parser, NmapXMLDecoder.entityRefusal)
        return nil
    }
}
