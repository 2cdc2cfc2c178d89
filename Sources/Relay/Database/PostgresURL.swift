import Foundation
import PostgresNIO

/// A `postgres://user:password@host:port/database` address, parsed (never matched by
/// prefix). TLS is off unless `?sslmode=require` (the relays' exchange is meant for a
/// private network; sslmode=require uses the system's trust store).
struct PostgresURL: Sendable, Equatable, CustomStringConvertible {
    var host: String
    var port: Int
    var user: String
    var password: String?
    var database: String?
    var requireTLS: Bool

    enum Problem: Error, CustomStringConvertible, Equatable {
        case notAURL(String)
        case scheme(String)
        case noHost
        case sslmode(String)

        var description: String {
            switch self {
            case .notAURL(let text): "'\(text.prefix(200))' is not a URL; write postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE"
            case .scheme(let scheme): "the scheme must be postgres:// or postgresql://, not \(scheme)://"
            case .noHost: "the URL names no host; write postgres://USER@HOST/DATABASE"
            case .sslmode(let mode): "sslmode=\(mode) is not supported: use disable (the default) or require"
            }
        }
    }

    init(parsing text: String) throws(Problem) {
        guard let components = URLComponents(string: text), let scheme = components.scheme else { throw .notAURL(text) }
        guard scheme == "postgres" || scheme == "postgresql" else { throw .scheme(scheme) }
        guard var host = components.host, !host.isEmpty else { throw .noHost }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.host = host
        port = components.port ?? 5432
        user = components.user.flatMap { $0.removingPercentEncoding } ?? "postgres"
        password = components.password.flatMap { $0.removingPercentEncoding }
        let path = components.path.drop { $0 == "/" }
        database = path.isEmpty ? nil : String(path)
        let mode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? "disable"
        switch mode {
        case "disable", "allow", "prefer": requireTLS = false
        case "require": requireTLS = true
        default: throw .sslmode(mode)
        }
    }

    /// For logs: everything but the password.
    var description: String {
        "postgres://\(user)@\(host.contains(":") ? "[\(host)]" : host):\(port)/\(database ?? "")"
    }

    func clientConfiguration() throws -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS = requireTLS ? .require(.makeClientConfiguration()) : .disable
        var configuration = PostgresClient.Configuration(host: host, port: port, username: user, password: password,
                                                         database: database, tls: tls)
        configuration.options.connectTimeout = .seconds(3)
        return configuration
    }

    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS = requireTLS
            ? .require(try NIOSSLContext(configuration: .makeClientConfiguration())) : .disable
        var configuration = PostgresConnection.Configuration(host: host, port: port, username: user, password: password,
                                                             database: database, tls: tls)
        configuration.options.connectTimeout = .seconds(3)
        return configuration
    }
}
