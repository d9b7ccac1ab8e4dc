import Foundation
import Testing
import VigilPipeline
import VigilTestSupport

@Suite struct ModelDefinitionTests {
    /// `Models/default-model.json` documents the defaults: it must say exactly what the code does.
    @Test func defaultModelFile_equalsTheBuiltInDefaults() throws {
        let file = try JSONDecoder().decode(EngineConfig.self, from: Data(TestSupport.read(TestSupport.packageRoot + "/Models/default-model.json")))
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        #expect(try enc.encode(file) == enc.encode(EngineConfig()))
    }

    @Test func modelDefinition_rejectsUnknownKeysAtEveryLevel() {
        for bad in [#"{"detecter":{}}"#, #"{"detector":{"treshold":0.5}}"#, #"{"isolation":{"tree":5}}"#] {
            #expect(throws: (any Error).self) { try JSONDecoder().decode(EngineConfig.self, from: Data(bad.utf8)) }
        }
    }
}
