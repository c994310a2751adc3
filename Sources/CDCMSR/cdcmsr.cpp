// DICOM Structured Report writing over DCMTK's dcmsr (see include/cdcmsr.h).
#include "dcmtk/config/osconfig.h"
#include "dcmtk/dcmdata/dcfilefo.h"
#include "dcmtk/dcmdata/dcdeftag.h"
#include "dcmtk/dcmsr/dsrdoc.h"
#include "dcmtk/dcmsr/dsrcodvl.h"
#include "dcmtk/dcmsr/dsrnumvl.h"
#include "dcmtk/dcmsr/dsrimgvl.h"
#include "dcmtk/oflog/oflog.h"

#include <cstring>
#include <exception>
#include <memory>
#include <string>

#include "cdcmsr.h"

struct cdcmsr_document_opaque {
    std::unique_ptr<DSRDocument> document;
};

namespace {

void set_error(char *error, size_t len, const std::string &message) {
    if (error == nullptr || len == 0) return;
    std::strncpy(error, message.c_str(), len - 1);
    error[len - 1] = 0;
}

// dcmsr reports refused items through its logger as well as its return codes: keep it quiet, the
// return code and our message say what went wrong.
void quiet_logging() {
    static bool done = false;
    if (!done) {
        OFLog::configure(OFLogger::FATAL_LOG_LEVEL);
        done = true;
    }
}

bool check(const OFCondition &status, const std::string &what, char *error, size_t len) {
    if (status.good()) return true;
    set_error(error, len, what + ": " + status.text());
    return false;
}

DSRTypes::E_RelationshipType relationship_of(cdcmsr_relationship r) {
    switch (r) {
    case CDCMSR_CONTAINS: return DSRTypes::RT_contains;
    case CDCMSR_HAS_OBS_CONTEXT: return DSRTypes::RT_hasObsContext;
    case CDCMSR_HAS_CONCEPT_MOD: return DSRTypes::RT_hasConceptMod;
    case CDCMSR_HAS_PROPERTIES: return DSRTypes::RT_hasProperties;
    case CDCMSR_INFERRED_FROM: return DSRTypes::RT_inferredFrom;
    case CDCMSR_SELECTED_FROM: return DSRTypes::RT_selectedFrom;
    }
    return DSRTypes::RT_invalid;
}

DSRTypes::E_ValueType value_type_of(cdcmsr_value_type t) {
    switch (t) {
    case CDCMSR_CONTAINER: return DSRTypes::VT_Container;
    case CDCMSR_TEXT: return DSRTypes::VT_Text;
    case CDCMSR_CODE: return DSRTypes::VT_Code;
    case CDCMSR_NUM: return DSRTypes::VT_Num;
    case CDCMSR_IMAGE: return DSRTypes::VT_Image;
    case CDCMSR_UIDREF: return DSRTypes::VT_UIDRef;
    case CDCMSR_SCOORD: return DSRTypes::VT_SCoord;
    }
    return DSRTypes::VT_invalid;
}

std::string text(const char *s) { return s == nullptr ? std::string() : std::string(s); }

}  // namespace

#define CDCMSR_TRY(failure, body)                                  \
    try {                                                          \
        body                                                       \
    } catch (const std::exception &e) {                            \
        set_error(error, error_len, e.what());                     \
        return failure;                                            \
    } catch (...) {                                                \
        set_error(error, error_len, "unknown C++ exception");      \
        return failure;                                            \
    }

extern "C" {

cdcmsr_document cdcmsr_new(cdcmsr_kind kind, const char *value, const char *scheme, const char *meaning, char *error, size_t error_len) {
    CDCMSR_TRY(nullptr,
        quiet_logging();
        DSRTypes::E_DocumentType type = kind == CDCMSR_BASIC_TEXT ? DSRTypes::DT_BasicTextSR
                                      : kind == CDCMSR_ENHANCED   ? DSRTypes::DT_EnhancedSR
                                                                  : DSRTypes::DT_ComprehensiveSR;
        std::unique_ptr<cdcmsr_document_opaque> doc(new cdcmsr_document_opaque());
        doc->document.reset(new DSRDocument(type));
        DSRDocumentTree &tree = doc->document->getTree();
        if (tree.addContentItem(DSRTypes::RT_isRoot, DSRTypes::VT_Container) == 0) {
            set_error(error, error_len, "the root container was refused");
            return nullptr;
        }
        if (!check(tree.getCurrentContentItem().setConceptName(DSRCodedEntryValue(text(value), text(scheme), text(meaning))),
                   "the document title", error, error_len))
            return nullptr;
        return doc.release();
    )
}

void cdcmsr_free(cdcmsr_document doc) { delete doc; }

int cdcmsr_set_attribute(cdcmsr_document doc, cdcmsr_attribute attribute, const char *value, char *error, size_t error_len) {
    CDCMSR_TRY(-1,
        DSRDocument &d = *doc->document;
        const OFString v = text(value).c_str();
        OFCondition status;
        switch (attribute) {
        case CDCMSR_PATIENT_NAME: status = d.setPatientName(v); break;
        case CDCMSR_PATIENT_ID: status = d.setPatientID(v); break;
        case CDCMSR_PATIENT_BIRTH_DATE: status = d.setPatientBirthDate(v); break;
        case CDCMSR_PATIENT_SEX: status = d.setPatientSex(v); break;
        case CDCMSR_STUDY_DATE: status = d.setStudyDate(v); break;
        case CDCMSR_STUDY_TIME: status = d.setStudyTime(v); break;
        case CDCMSR_STUDY_ID: status = d.setStudyID(v); break;
        case CDCMSR_ACCESSION_NUMBER: status = d.setAccessionNumber(v); break;
        case CDCMSR_REFERRING_PHYSICIAN: status = d.setReferringPhysicianName(v); break;
        case CDCMSR_STUDY_DESCRIPTION: status = d.setStudyDescription(v); break;
        case CDCMSR_SERIES_DESCRIPTION: status = d.setSeriesDescription(v); break;
        case CDCMSR_SERIES_NUMBER: status = d.setSeriesNumber(v); break;
        case CDCMSR_INSTANCE_NUMBER: status = d.setInstanceNumber(v); break;
        case CDCMSR_MANUFACTURER: status = d.setManufacturer(v); break;
        case CDCMSR_MANUFACTURER_MODEL: status = d.setManufacturerModelName(v); break;
        case CDCMSR_SOFTWARE_VERSIONS: status = d.setSoftwareVersions(v); break;
        case CDCMSR_CONTENT_DATE: status = d.setContentDate(v); break;
        case CDCMSR_CONTENT_TIME: status = d.setContentTime(v); break;
        default: set_error(error, error_len, "unknown attribute"); return -1;
        }
        return check(status, "attribute '" + text(value) + "'", error, error_len) ? 0 : -1;
    )
}

int cdcmsr_set_study(cdcmsr_document doc, const char *study_uid, char *error, size_t error_len) {
    CDCMSR_TRY(-1,
        return check(doc->document->createNewSeriesInStudy(text(study_uid).c_str()), "study instance UID", error, error_len) ? 0 : -1;
    )
}

int cdcmsr_add_evidence(cdcmsr_document doc, const char *study_uid, const char *series_uid, const char *sop_class_uid,
                        const char *sop_instance_uid, char *error, size_t error_len) {
    CDCMSR_TRY(-1,
        OFCondition status = doc->document->getCurrentRequestedProcedureEvidence().addItem(
            text(study_uid).c_str(), text(series_uid).c_str(), text(sop_class_uid).c_str(), text(sop_instance_uid).c_str());
        return check(status, "evidence " + text(sop_instance_uid), error, error_len) ? 0 : -1;
    )
}

int cdcmsr_add(cdcmsr_document doc, int below, cdcmsr_relationship relationship, cdcmsr_value_type type,
               const char *value, const char *scheme, const char *meaning, char *error, size_t error_len) {
    CDCMSR_TRY(-1,
        DSRDocumentTree &tree = doc->document->getTree();
        const DSRTypes::E_AddMode mode = below ? DSRTypes::AM_belowCurrent : DSRTypes::AM_afterCurrent;
        if (tree.addContentItem(relationship_of(relationship), value_type_of(type), mode) == 0) {
            set_error(error, error_len, "the SR IOD does not allow this item here ('" + text(meaning) + "')");
            return -1;
        }
        if (value != nullptr) {
            if (!check(tree.getCurrentContentItem().setConceptName(DSRCodedEntryValue(text(value), text(scheme), text(meaning))),
                       "concept name '" + text(meaning) + "'", error, error_len))
                return -1;
        }
        return 0;
    )
}

int cdcmsr_set_text(cdcmsr_document doc, const char *value, char *error, size_t error_len) {
    CDCMSR_TRY(-1,
        return check(doc->document->getTree().getCurrentContentItem().setStringValue(text(value).c_str()), "text value", error, error_len) ? 0 : -1;
    )
}

int cdcmsr_set_code(cdcmsr_document doc, const char *value, const char *scheme, const char *meaning, char *error, size_t error_len) {
    CDCMSR_TRY(-1,
        return check(doc->document->getTree().getCurrentContentItem().setCodeValue(DSRCodedEntryValue(text(value), text(scheme), text(meaning))),
                     "coded value '" + text(meaning) + "'", error, error_len) ? 0 : -1;
    )
}

int cdcmsr_set_num(cdcmsr_document doc, const char *number, const char *unit_value, const char *unit_scheme, const char *unit_meaning,
                   char *error, size_t error_len) {
    CDCMSR_TRY(-1,
        DSRNumericMeasurementValue measurement(text(number).c_str(), DSRCodedEntryValue(text(unit_value), text(unit_scheme), text(unit_meaning)));
        return check(doc->document->getTree().getCurrentContentItem().setNumericValue(measurement), "numeric value " + text(number),
                     error, error_len) ? 0 : -1;
    )
}

int cdcmsr_set_image(cdcmsr_document doc, const char *sop_class_uid, const char *sop_instance_uid, char *error, size_t error_len) {
    CDCMSR_TRY(-1,
        DSRImageReferenceValue reference(text(sop_class_uid).c_str(), text(sop_instance_uid).c_str());
        return check(doc->document->getTree().getCurrentContentItem().setImageReference(reference), "image reference " + text(sop_instance_uid),
                     error, error_len) ? 0 : -1;
    )
}

int cdcmsr_set_polyline(cdcmsr_document doc, const float *points, size_t count, char *error, size_t error_len) {
    CDCMSR_TRY(-1,
        if (points == nullptr || count < 2) {
            set_error(error, error_len, "a polyline needs at least two points");
            return -1;
        }
        DSRSpatialCoordinatesValue coordinates(DSRTypes::GT_Polyline);
        for (size_t i = 0; i < count; ++i) coordinates.getGraphicDataList().addItem(points[2 * i], points[2 * i + 1]);
        return check(doc->document->getTree().getCurrentContentItem().setSpatialCoordinates(coordinates), "spatial coordinates",
                     error, error_len) ? 0 : -1;
    )
}

int cdcmsr_up(cdcmsr_document doc, char *error, size_t error_len) {
    CDCMSR_TRY(-1,
        if (doc->document->getTree().goUp() == 0) {
            set_error(error, error_len, "the current item has no parent");
            return -1;
        }
        return 0;
    )
}

int cdcmsr_write(cdcmsr_document doc, const char *path, char *uid, size_t uid_len, char *error, size_t error_len) {
    CDCMSR_TRY(-1,
        DSRDocument &d = *doc->document;
        if (!check(d.completeDocument(), "completing the document", error, error_len)) return -1;
        DcmFileFormat file;
        if (!check(d.write(*file.getDataset()), "encoding the document", error, error_len)) return -1;
        OFString instance;
        file.getDataset()->findAndGetOFString(DCM_SOPInstanceUID, instance);
        set_error(uid, uid_len, instance.c_str());
        return check(file.saveFile(path, EXS_LittleEndianExplicit), std::string("writing ") + text(path), error, error_len) ? 0 : -1;
    )
}

}  // extern "C"
