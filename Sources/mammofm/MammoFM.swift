import ArgumentParser
import Torch

@main
struct MammoFM: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mammofm",
        abstract: "Mammography vision-language models: DICOM preprocessing, Mammo-CLIP pretraining, embeddings, and zero-shot, probe and fine-tune evaluation.",
        version: MammoFMVersion.string,
        groupedSubcommands: [
            CommandGroup(name: "Data", subcommands: [DicomCommand.self, PreprocessCommand.self, DatasetCommand.self, SynthCommand.self,
                                                     ContactSheetCommand.self]),
            CommandGroup(name: "Models", subcommands: [ConvertCommand.self, InspectWeightsCommand.self, EmbedCommand.self]),
            CommandGroup(name: "Training", subcommands: [PretrainCommand.self, SmokeTrainCommand.self]),
            CommandGroup(name: "Evaluation", subcommands: [ZeroShotCommand.self, ProbeCommand.self, FineTuneCommand.self, EvaluateCommand.self,
                                                           SummarizeCommand.self]),
            CommandGroup(name: "Localisation", subcommands: [TrainDetectorCommand.self, DetectCommand.self, TrainFactorCommand.self]),
            CommandGroup(name: "Deployment", subcommands: [BundleCommand.self, AnalyzeCommand.self, ServeCommand.self]),
            CommandGroup(name: "Installation", subcommands: [DoctorCommand.self]),
        ])
}

enum MammoFMVersion {
    static let string = MammoFMRelease.version
}

/// A command that was parsed and validated but failed while it ran: printed as its sentence, without
/// the usage text (which is for command lines that are wrong).
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
