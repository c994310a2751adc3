import Foundation
import MammoData
import MammoEvaluation
import MammoModels
import Torch

/// The evaluation protocol shared by zero-shot, probe and fine-tune: predictions per image on the
/// validation and test splits, aggregated to the levels asked for, scored with the validation
/// split's operating point.
public enum EvaluationProtocol {
    /// One evaluation per level ("image", "breast", "exam"; exam only for binary tasks).
    public static func evaluate(task: ClassificationTask, levels: [ScoringLevel], images: [LabelledImage], validation: [Prediction],
                                test: [Prediction], operatingPoint: OperatingPoint = .youden,
                                bootstrap: PatientBootstrap? = PatientBootstrap()) throws -> [TaskEvaluation] {
        try levels.map { level in
            try TaskEvaluation.evaluate(task: task, level: level, test: PredictionAggregation.at(level, test, images: images),
                                        validation: validation.isEmpty ? nil : PredictionAggregation.at(level, validation, images: images),
                                        operatingPoint: operatingPoint, bootstrap: bootstrap)
        }
    }

    /// The images of `split` that carry a label for `task`.
    public static func labelled(_ dataset: LabelledDataset, _ split: DataSplit, task: ClassificationTask) -> [LabelledImage] {
        dataset.images(in: split).filter { $0.labels[task.name] != nil }
    }

    /// Predictions of a trained probe for `images`.
    public static func predictions(_ probe: LinearProbe, images: [LabelledImage], features: FeatureSet) throws -> [Prediction] {
        guard !images.isEmpty else { return [] }
        let probabilities = try probe.probabilities(features.rows(images.map(\.imageID)))
        return zip(images, probabilities).map { image, p in
            Prediction(caseID: image.imageID, patientID: image.patientID, label: image.labels[probe.task.name]!, probabilities: p)
        }
    }

    /// Trains a linear probe on the training split at `fraction` (patients sampled with `seed`) and
    /// scores it on the test split at `levels`; also returns the per-image test predictions.
    public static func linearProbe(task: ClassificationTask, dataset: LabelledDataset, features: FeatureSet, fraction: Double,
                                   settings: HeadTraining, levels: [ScoringLevel], operatingPoint: OperatingPoint = .youden,
                                   bootstrap: PatientBootstrap? = PatientBootstrap())
        throws -> (evaluations: [TaskEvaluation], trainingCases: Int, test: [Prediction]) {
        let sampled = try dataset.withTrainingFraction(fraction, seed: settings.seed)
        let train = labelled(sampled, .train, task: task)
        guard !train.isEmpty else { throw InputError.badInput("no training images with a '\(task.name)' label") }
        let probe = try LinearProbe.train(task: task, features: features.rows(train.map(\.imageID)), labels: train.map { $0.labels[task.name]! },
                                          settings: settings)
        let validation = try predictions(probe, images: labelled(sampled, .validation, task: task), features: features)
        let test = try predictions(probe, images: labelled(sampled, .test, task: task), features: features)
        return (try evaluate(task: task, levels: levels, images: dataset.images, validation: validation, test: test,
                             operatingPoint: operatingPoint, bootstrap: bootstrap),
                train.count, test)
    }
}

extension EvaluationProtocol {
    /// The head a probe study deploys for `task`: a final fit on every training case (no fraction)
    /// with `settings`, its calibration and operating point chosen on the validation split at each
    /// of the task's default levels.
    public static func deployableProbe(task: ClassificationTask, dataset: LabelledDataset, features: FeatureSet, settings: HeadTraining,
                                       encoderWeightsHash: String, inputHeight: Int, inputWidth: Int,
                                       operatingPoint: OperatingPoint) throws -> ClassifierHead {
        let train = labelled(dataset, .train, task: task)
        guard !train.isEmpty else { throw InputError.badInput("no training images with a '\(task.name)' label") }
        let probe = try LinearProbe.train(task: task, features: features.rows(train.map(\.imageID)), labels: train.map { $0.labels[task.name]! },
                                          settings: settings)
        let validation = try predictions(probe, images: labelled(dataset, .validation, task: task), features: features)
        let decisions = try headDecisions(task: task, validation: validation, images: dataset.images, operatingPoint: operatingPoint)
        let manifest = ClassifierHeadManifest(kind: .linearProbe, task: task, encoderWeightsHash: encoderWeightsHash, inputHeight: inputHeight,
                                              inputWidth: inputWidth, trainingCases: train.count, trainingPatients: Set(train.map(\.patientID)).count,
                                              settings: settings, decisions: decisions)
        return ClassifierHead(manifest: manifest, probe: probe)
    }

    /// A fine-tuned classifier as a deployable head: the tuned tower and its linear layer, with the
    /// calibration and operating point of each of the task's levels fitted on `validation` (its
    /// per-image predictions on the validation split).
    public static func deployableFineTuned(_ classifier: ImageClassifier, tower: MammoClipConfig.ImageTower, dataset: LabelledDataset,
                                           training: [LabelledImage], validation: [Prediction], settings: HeadTraining,
                                           encoderWeightsHash: String, operatingPoint: OperatingPoint) throws -> ClassifierHead {
        let task = classifier.task
        let decisions = try headDecisions(task: task, validation: validation, images: dataset.images, operatingPoint: operatingPoint)
        let manifest = ClassifierHeadManifest(kind: .fineTuned, task: task, encoderWeightsHash: encoderWeightsHash, imageTower: tower,
                                              inputHeight: tower.inputHeight, inputWidth: tower.inputWidth, trainingCases: training.count,
                                              trainingPatients: Set(training.map(\.patientID)).count, settings: settings, decisions: decisions)
        return ClassifierHead(manifest: manifest, fineTuned: classifier)
    }

    /// The calibration and operating point at each of the task's levels, from per-image validation predictions.
    static func headDecisions(task: ClassificationTask, validation: [Prediction], images: [LabelledImage],
                              operatingPoint: OperatingPoint) throws -> [HeadDecision] {
        try task.defaultLevels.map { level in
            try HeadDecision.fit(task: task, level: level, validation: PredictionAggregation.at(level, validation, images: images),
                                 operatingPoint: operatingPoint)
        }
    }
}
