import Foundation
import TianyanModel
import TianyanSQLite

/// A fleet registry on disk: the CSV tables and cells.geojson in one directory.
public enum FleetDirectory {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Writes `registry` into `directory` (created if needed). Returns the paths written.
    @discardableResult
    public static func write(_ registry: FleetRegistry, to directory: String) throws -> [String] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var written: [String] = []
        for (name, text) in FleetRegistryCodec.encode(registry).sorted(by: { $0.key < $1.key }) {
            let path = (directory as NSString).appendingPathComponent(name)
            do { try text.write(toFile: path, atomically: true, encoding: .utf8) } catch {
                throw Failure(description: "cannot write \(path): \(error.localizedDescription)")
            }
            written.append(path)
        }
        return written
    }

    /// Reads and validates the registry in `directory`; every problem is reported as `file:line`.
    public static func read(from directory: String) throws -> FleetRegistry {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
            throw Failure(description: "\(directory) is not a directory; give the directory `tianyan fleet sample` or `fleet export` wrote")
        }
        var files: [String: String] = [:]
        for f in FleetRegistryCodec.File.allCases {
            let path = (directory as NSString).appendingPathComponent(f.rawValue)
            guard FileManager.default.fileExists(atPath: path) else { continue }
            guard let data = FileManager.default.contents(atPath: path) else {
                throw Failure(description: "cannot read \(path)")
            }
            guard let text = String(data: data, encoding: .utf8) else {
                throw Failure(description: "\(path):1: the file is not UTF-8 text")
            }
            files[f.rawValue] = text
        }
        do {
            return try FleetRegistryCodec.decode(files)
        } catch {
            // Name files by their path so that editors can jump to them.
            var e = error
            e.problems = e.problems.map { ImportProblem(file: (directory as NSString).appendingPathComponent($0.file), line: $0.line, message: $0.message) }
            throw e
        }
    }

    /// Validates and loads a directory into the store in one transaction; nothing is written on error.
    public static func importRegistry(from directory: String, into store: some RegistryStore) async throws -> FleetRegistry {
        let registry = try read(from: directory)
        try await store.replaceRegistry(registry)
        return registry
    }
}
