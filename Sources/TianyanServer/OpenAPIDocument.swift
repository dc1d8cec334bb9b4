import Foundation

/// The API's OpenAPI 3.1 document (`openapi.yaml`, a bundled resource), served at
/// `/api/v1/openapi.yaml`. A test checks that it lists exactly the routes the server has.
enum OpenAPIDocument {
    static let yaml: String = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml"),
              let text = try? String(contentsOf: url, encoding: .utf8) else {
            // Not a silent gap: the route answers with this, and the OpenAPI test fails.
            return "openapi: 3.1.0\ninfo: {title: the document was not installed with the server, version: \"0\"}\npaths: {}\n"
        }
        return text
    }()
}
