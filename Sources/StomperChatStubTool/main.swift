// stomper-chat-stub: a scripted OpenAI-compatible chat endpoint on 127.0.0.1, for demos and
// end-to-end tests.
//
//     stomper-chat-stub --port N [--script FILE.json]
//
// Listens on 127.0.0.1:N (0 picks a free port), prints `listening on 127.0.0.1:PORT` once it
// accepts connections, logs one line per request to standard error, and runs until killed.
// Point a client at base URL http://127.0.0.1:PORT/v1. For "connection refused", use a port
// nobody listens on.
//
// The script (ChatStubScript) lists the replies to give, in order, the reply once the list is
// used up, and the edits a good reply makes to the file (the last fenced block of the last user
// message; with "file", the block after a line holding that name, as aider sends it, answered in
// aider's whole-file format):
//
//     {"replies": ["rateLimited", {"rateLimited": 2}, "serverError", {"slow": 3000}, "good"],
//      "default": "good",
//      "edits": [{"delete": "import os"}, {"replace": "x  = 1", "with": "x = 1"}],
//      "file": "bad.py"}
//
// A request with "stream": true is answered with server-sent events (chat.completion.chunk lines,
// then `data: [DONE]`), chunked.
//
// Replies: good, truncated, unauthorized, rateLimited (optionally {"rateLimited": SECONDS} for a
// Retry-After header), serverError, modelNotFound, nullContent, empty, notAFile, elided,
// {"slow": MILLISECONDS}. Every key is optional; without a script every reply is `good` and the
// file comes back unchanged.
import Dispatch
import Foundation
import StomperChatStub

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("stomper-chat-stub: \(message)\nusage: stomper-chat-stub --port N [--script FILE.json]\n".utf8))
    exit(2)
}

var port: UInt16?
var scriptPath: String?
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--port":
        guard let value = arguments.popFirst(), let number = UInt16(value) else { fail("--port needs a number from 0 to 65535") }
        port = number
    case "--script":
        guard let value = arguments.popFirst() else { fail("--script needs a file") }
        scriptPath = value
    case "-h", "--help":
        print("usage: stomper-chat-stub --port N [--script FILE.json]")
        exit(0)
    default:
        fail("unknown argument \(argument)")
    }
}
guard let port else { fail("--port is required (0 for a free port)") }

var script = ChatStubScript()
if let scriptPath {
    do {
        script = try JSONDecoder().decode(ChatStubScript.self, from: Data(contentsOf: URL(fileURLWithPath: scriptPath)))
    } catch {
        fail("cannot read the script \(scriptPath): \(error)")
    }
}

let server: ChatStubServer
do {
    server = try ChatStubServer(script: script, port: port) { request in
        let reply = request.reply.map { " (\($0))" } ?? ""
        FileHandle.standardError.write(Data("\(request.method) \(request.path) -> \(request.status)\(reply)\n".utf8))
    }
} catch {
    fail("\(error)")
}
// Written unbuffered: whoever started the stub waits for this line.
FileHandle.standardOutput.write(Data("listening on 127.0.0.1:\(server.port)\n".utf8))
withExtendedLifetime(server) { dispatchMain() }
