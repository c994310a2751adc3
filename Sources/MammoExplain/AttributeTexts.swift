import Foundation
import MammoData
import MammoDetection
import MammoModels
import Torch

/// The sentences that describe each attribute; its text embedding is the normalised mean of their
/// normalised embeddings (the reference's `generate_attribute_embs`, whose prompt lists were left for
/// the user to fill in). The defaults are written as radiologists report the finding; a file of
/// sentences (one per line) replaces them.
public enum AttributeTexts {
    public static func defaults(_ finding: DetectionFinding) -> [String] {
        switch finding {
        case .mass:
            return ["an irregular mass with spiculated margins", "a mass is seen in the breast", "an oval circumscribed mass",
                    "a round mass with indistinct margins", "a dense irregular mass"]
        case .calcification:
            return ["suspicious calcifications", "fine pleomorphic calcifications in a segmental distribution",
                    "grouped amorphous calcifications", "fine linear branching calcifications", "clustered microcalcifications"]
        }
    }

    /// The sentences of a file, one per line (blank lines skipped).
    public static func read(_ url: URL) throws -> [String] {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { throw InputError.badFile(path: url.path, reason: "cannot be read as UTF-8 text") }
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !lines.isEmpty else { throw InputError.badFile(path: url.path, reason: "holds no sentence") }
        return lines
    }

    /// A x D: per attribute, the normalised mean of its sentences' normalised embeddings. A sentence
    /// that the model's tokenizer turns into no token is refused, naming it.
    public static func embed(_ sentences: [[String]], with pipeline: MammoClipPipeline) throws -> Tensor {
        try Tensor.stack(sentences.map { list in
            guard !list.isEmpty else { throw InputError.badInput("an attribute needs at least one sentence") }
            if let tokenizer = pipeline.tokenizer, let empty = list.first(where: { tokenizer.tokenize($0).isEmpty }) {
                throw InputError.badInput("the sentence '\(empty)' gives no token to the model's tokenizer")
            }
            let mean = try pipeline.embed(texts: list).to(.float32, device: .cpu).mean(dim: 0)
            return try mean / mean.norm().clamp(min: 1e-12)
        }, dim: 0)
    }
}
