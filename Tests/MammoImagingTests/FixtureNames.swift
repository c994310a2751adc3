/// The case names of a test parametrised over a fixture list. A list that cannot be read, or is
/// empty, becomes one case named after the problem, which then fails when it looks its fixture
/// up: a missing fixture file can never make a parametrised test pass by running zero cases.
func fixtureNames(_ read: () throws -> [String]) -> [String] {
    do {
        let names = try read()
        return names.isEmpty ? ["<the fixture list is empty>"] : names
    } catch {
        return ["<the fixture list cannot be read: \(error)>"]
    }
}
