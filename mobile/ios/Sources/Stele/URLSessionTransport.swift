import Foundation
import SteleFFI

/// The wallet's HTTP transport over `URLSession`: POSTs JSON-RPC to the
/// chain node. `https` only unless `allowCleartext`. The wallet calls it
/// from its own queue (never the main thread), so it waits for the answer.
public final class URLSessionTransport: HttpTransport, @unchecked Sendable {
    private let session: URLSession
    private let allowCleartext: Bool
    private let maxResponseBytes: Int

    public init(session: URLSession = .shared, allowCleartext: Bool = false, maxResponseBytes: Int = 32 << 20) {
        self.session = session
        self.allowCleartext = allowCleartext
        self.maxResponseBytes = maxResponseBytes
    }

    public func postJson(url: String, body: String, timeoutMs: UInt32) throws -> HttpResponse {
        guard let u = URL(string: url), let scheme = u.scheme,
              scheme == "https" || (allowCleartext && scheme == "http") else {
            throw StelError.InvalidInput(detail: "the chain node must be reached over https")
        }
        var request = URLRequest(url: u, timeoutInterval: TimeInterval(timeoutMs) / 1000)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(body.utf8)

        let done = DispatchSemaphore(value: 0)
        var result: Result<HttpResponse, StelError> = .failure(.Unavailable(detail: "no answer"))
        let limit = maxResponseBytes
        let task = session.dataTask(with: request) { data, response, error in
            defer { done.signal() }
            if let error = error as? URLError {
                result = .failure(.Unavailable(detail: error.code == .timedOut ? "timed out" : "could not reach the node (\(error.code.rawValue))"))
                return
            }
            guard let http = response as? HTTPURLResponse, let data else {
                result = .failure(.Unavailable(detail: "no HTTP answer"))
                return
            }
            guard data.count <= limit else {
                result = .failure(.Unavailable(detail: "answer too large"))
                return
            }
            result = .success(HttpResponse(status: UInt16(clamping: http.statusCode), body: String(decoding: data, as: UTF8.self)))
        }
        task.resume()
        if done.wait(timeout: .now() + .milliseconds(Int(timeoutMs) + 1000)) == .timedOut {
            task.cancel()
            throw StelError.Unavailable(detail: "timed out")
        }
        return try result.get()
    }
}
