import FerryTestSupport
import Testing

/// Every suite that makes network namespaces, nested here so that they run one test at a time
/// across suites too: the "nothing remains" checks compare the namespaces before and after.
@Suite(.serialized, .enabled(if: TestHosts.available, Comment(rawValue: TestHosts.skipComment)))
enum NamespaceSuites {}
