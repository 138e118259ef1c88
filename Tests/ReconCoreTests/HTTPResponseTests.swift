import Testing

@testable import ReconCore

@Suite("HTTP responses")
struct HTTPResponseTests {
    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    static let nginx404 =
        "HTTP/1.1 404 Not Found\r\nServer: nginx/1.22.1\r\nDate: Tue, 04 Jun 2024 10:00:00 GMT\r\n"
        + "Content-Type: text/html\r\nContent-Length: 153\r\nConnection: close\r\n\r\n"
        + "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n"
        + "<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n"

    @Test func nginxErrorPage() throws {
        let response = try #require(HTTPResponse.parse(bytes(Self.nginx404)))
        #expect(response.statusLine == "HTTP/1.1 404 Not Found")
        #expect(response.statusCode == 404)
        #expect(response.headers.map(\.name) == ["Server", "Date", "Content-Type", "Content-Length", "Connection"])
        #expect(response.headers[3] == HTTPHeader(name: "Content-Length", value: "153"))
        #expect(response.server == "nginx/1.22.1")
        #expect(response.title == "404 Not Found")
        let headLength = Self.nginx404.utf8.count - 153
        #expect(HTTPResponse.completeLength(bytes(Self.nginx404)) == headLength + 153)
        #expect(HTTPResponse.completeLength(Array(bytes(Self.nginx404).prefix(headLength))) == headLength + 153)
    }

    @Test func repeatedHeadersKeptInOrder() throws {
        let response = try #require(
            HTTPResponse.parse(bytes("HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nVary: x\r\nSet-Cookie: b=2\r\n\r\n")))
        #expect(
            response.headers == [
                HTTPHeader(name: "Set-Cookie", value: "a=1"), HTTPHeader(name: "Vary", value: "x"),
                HTTPHeader(name: "Set-Cookie", value: "b=2"),
            ])
    }

    @Test func bareLineFeedsAndFoldedLines() throws {
        let text = "HTTP/1.0 200 OK\nServer:  Example \nX-Long: first\n   second\n\tthird\nX-Empty:\n\nbody"
        let response = try #require(HTTPResponse.parse(bytes(text)))
        #expect(response.statusLine == "HTTP/1.0 200 OK")
        #expect(response.server == "Example")
        #expect(response.headers[1] == HTTPHeader(name: "X-Long", value: "first second third"))
        #expect(response.headers[2] == HTTPHeader(name: "X-Empty", value: ""))
        #expect(response.headers.count == 3)
        #expect(HTTPResponse.completeLength(bytes(text)) == nil)
    }

    @Test func cutHead() throws {
        let cut = bytes("HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Ty")
        let response = try #require(HTTPResponse.parse(cut))
        #expect(response.headers == [HTTPHeader(name: "Server", value: "nginx")])
        #expect(response.title == nil)
        #expect(HTTPResponse.completeLength(cut) == nil)
        let statusOnly = try #require(HTTPResponse.parse(bytes("HTTP/1.1 503 Service Unavailable")))
        #expect(statusOnly.statusLine == "HTTP/1.1 503 Service Unavailable")
        #expect(statusOnly.statusCode == 503)
        #expect(statusOnly.headers.isEmpty)
    }

    @Test(
        "not HTTP/1.x",
        arguments: [
            "", "SSH-2.0-OpenSSH_9.6\r\n", "HTTP/2 200\r\n\r\n", "HTTP/1.1 20\r\n", "HTTP/1.1 2000 OK\r\n",
            "http/1.1 200 OK\r\n", "HTTP/1.1 2x0 OK\r\n", "HTTP/1.x 200 OK\r\n",
        ])
    func notHTTP(text: String) {
        #expect(HTTPResponse.parse(bytes(text)) == nil)
        #expect(HTTPResponse.completeLength(bytes(text)) == nil)
    }

    @Test(
        "complete length",
        arguments: [
            ("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel", 43),
            ("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n", 38),
            ("HTTP/1.1 204 No Content\r\nContent-Length: 99\r\n\r\n", 47),
            ("HTTP/1.1 304 Not Modified\r\n\r\n", 29),
            ("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", 62),
        ] as [(String, Int)])
    func completeLength(text: String, length: Int) {
        #expect(HTTPResponse.completeLength(bytes(text)) == length)
    }

    @Test(
        "length not known yet",
        arguments: [
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n",
            "HTTP/1.0 200 OK\r\nServer: x\r\n\r\nuntil close",
            "HTTP/1.1 100 Continue\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n",
        ])
    func lengthUnknown(text: String) {
        #expect(HTTPResponse.completeLength(bytes(text)) == nil)
    }

    @Test("a title cut to its limit does not end in the space the cut fell after (fuzz finding F2)")
    func longTitleIsTrimmedAfterTheCut() throws {
        let words = String(repeating: "x", count: HTTPResponse.maximumTitleLength - 1) + " tail"
        let text = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<title>\(words)</title>"
        let title = try #require(HTTPResponse.parse(bytes(text))?.title)
        #expect(title == String(repeating: "x", count: HTTPResponse.maximumTitleLength - 1))
    }

    @Test func chunkedBodyStillHasATitle() throws {
        let text =
            "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "2a\r\n<html><head><title>Chunked</title></head>\r\n0\r\n\r\n"
        #expect(HTTPResponse.parse(bytes(text))?.title == "Chunked")
    }

    @Test("a 1 MiB header block is read only as far as the cap")
    func hugeHeaderBlock() throws {
        var text = "HTTP/1.1 200 OK\r\n"
        for index in 0..<50_000 { text += "X-Filler-\(index): value\r\n" }
        let block = bytes(text)
        #expect(block.count > 1 << 20)
        let response = try #require(HTTPResponse.parse(block))
        #expect(response.headers.count == HTTPResponse.maximumHeaders)
        #expect(response.headers.last == HTTPHeader(name: "X-Filler-199", value: "value"))
        #expect(HTTPResponse.completeLength(block + bytes("\r\n")) == nil)

        let oneLine = bytes("HTTP/1.1 200 OK\r\nX-Big: ") + [UInt8](repeating: 0x61, count: 1 << 20) + bytes("\r\n\r\n")
        let single = try #require(HTTPResponse.parse(oneLine))
        #expect(single.headers.isEmpty)

        let endless = bytes("HTTP/1.1 200 OK ") + [UInt8](repeating: 0x61, count: 1 << 20)
        let status = try #require(HTTPResponse.parse(endless))
        #expect(status.statusLine.utf8.count == HTTPResponse.maximumStatusLineLength)
    }

    @Test func nonUTF8Headers() throws {
        let raw = bytes("HTTP/1.1 200 OK\r\nServer: Caf") + [0xE9] + bytes("\r\nX-Utf8: Café\r\n\r\n")
        let response = try #require(HTTPResponse.parse(raw))
        #expect(response.server == "Café")
        #expect(response.headers[1].value == "Café")
    }

    @Test(
        "titles",
        arguments: [
            (
                "text/html", "<TITLE>  Tom &amp; Jerry &lt;3 &#39;x&#39; &#x41; &quot;q&quot;\n\t page </TITLE>",
                "Tom & Jerry <3 'x' A \"q\" page"
            ),
            ("text/html", "<title lang=\"en\">a &unknown; b & c</title>", "a &unknown; b & c"),
            ("text/html", "<head><title>cut off at the end", "cut off at the end"),
            ("text/html", "<title>  </title>", nil),
            ("text/html", "<p>no title</p>", nil),
            (nil, "\r\n  <!DOCTYPE html><html><title>Sniffed</title>", "Sniffed"),
            (nil, "<title>plain</title>", "plain"),
            ("text/plain", "<title>not HTML</title>", nil),
            ("application/json", "{\"title\": \"<title>x</title>\"}", nil),
            (nil, "just text <title>x</title>", nil),
        ] as [(String?, String, String?)])
    func title(contentType: String?, body: String, title: String?) {
        let head = "HTTP/1.1 200 OK\r\n" + (contentType.map { "Content-Type: \($0)\r\n" } ?? "") + "\r\n"
        #expect(HTTPResponse.parse(bytes(head + body))?.title == title)
    }

    @Test func titleLimits() throws {
        let long = String(repeating: "é", count: 300)
        let response = try #require(
            HTTPResponse.parse(bytes("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<title>\(long)</title>")))
        #expect(response.title == String(repeating: "é", count: HTTPResponse.maximumTitleLength))
        let latin1 = bytes("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<title>Caf") + [0xE9] + bytes("</title>")
        #expect(HTTPResponse.parse(latin1)?.title == "Café")
        let cutCharacter = bytes("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<title>Café") + [0xC3]
        #expect(HTTPResponse.parse(cutCharacter)?.title == "Café")
    }

    @Test func jsonKeys() throws {
        let json = JSONRendering()
        let response = try #require(HTTPResponse.parse(bytes("HTTP/1.1 200 OK\r\nServer: x\r\n\r\n")))
        let text = String(decoding: try json.line(response), as: UTF8.self)
        #expect(
            text
                == #"{"headers":[{"name":"Server","value":"x"}],"server":"x","status_code":200,"status_line":"HTTP/1.1 200 OK"}"#
                + "\n")
    }
}
