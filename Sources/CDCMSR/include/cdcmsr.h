/*
 * cdcmsr.h: DICOM Structured Report writing for MammoFM over DCMTK's dcmsr, with a plain C interface.
 * dcmsr checks every content item against the SR IOD's relationship constraints as it is added, so a
 * document this interface writes is valid by construction. Every function catches C++ exceptions;
 * failures return -1 (or NULL) with a message in `error`. One document belongs to one thread at a time.
 */
#ifndef MAMMOFM_CDCMSR_H
#define MAMMOFM_CDCMSR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cdcmsr_document_opaque *cdcmsr_document;

/* Document kinds (SOP classes) this interface writes. */
typedef enum {
    CDCMSR_BASIC_TEXT = 0,    /* 1.2.840.10008.5.1.4.1.1.88.11: no numeric items */
    CDCMSR_ENHANCED = 1,      /* 1.2.840.10008.5.1.4.1.1.88.22: adds NUM and spatial coordinates (SCOORD) */
    CDCMSR_COMPREHENSIVE = 2, /* 1.2.840.10008.5.1.4.1.1.88.33: adds references by content item */
} cdcmsr_kind;

/* Header attributes of the patient, study and series modules. */
typedef enum {
    CDCMSR_PATIENT_NAME = 0, CDCMSR_PATIENT_ID, CDCMSR_PATIENT_BIRTH_DATE, CDCMSR_PATIENT_SEX,
    CDCMSR_STUDY_DATE, CDCMSR_STUDY_TIME, CDCMSR_STUDY_ID, CDCMSR_ACCESSION_NUMBER, CDCMSR_REFERRING_PHYSICIAN,
    CDCMSR_STUDY_DESCRIPTION, CDCMSR_SERIES_DESCRIPTION, CDCMSR_SERIES_NUMBER, CDCMSR_INSTANCE_NUMBER,
    CDCMSR_MANUFACTURER, CDCMSR_MANUFACTURER_MODEL, CDCMSR_SOFTWARE_VERSIONS, CDCMSR_CONTENT_DATE, CDCMSR_CONTENT_TIME,
} cdcmsr_attribute;

typedef enum { CDCMSR_CONTAINS = 0, CDCMSR_HAS_OBS_CONTEXT, CDCMSR_HAS_CONCEPT_MOD, CDCMSR_HAS_PROPERTIES,
               CDCMSR_INFERRED_FROM, CDCMSR_SELECTED_FROM } cdcmsr_relationship;

typedef enum { CDCMSR_CONTAINER = 0, CDCMSR_TEXT, CDCMSR_CODE, CDCMSR_NUM, CDCMSR_IMAGE, CDCMSR_UIDREF, CDCMSR_SCOORD } cdcmsr_value_type;

/* A new document whose root is a CONTAINER with the given concept name (code value, scheme, meaning). */
cdcmsr_document cdcmsr_new(cdcmsr_kind kind, const char *value, const char *scheme, const char *meaning, char *error, size_t error_len);
void cdcmsr_free(cdcmsr_document doc);

int cdcmsr_set_attribute(cdcmsr_document doc, cdcmsr_attribute attribute, const char *text, char *error, size_t error_len);
/* Puts the document into the study `study_uid` (a new series); without it the document opens a new study. */
int cdcmsr_set_study(cdcmsr_document doc, const char *study_uid, char *error, size_t error_len);
/* Lists an instance the document was made from (Current Requested Procedure Evidence Sequence). */
int cdcmsr_add_evidence(cdcmsr_document doc, const char *study_uid, const char *series_uid, const char *sop_class_uid,
                        const char *sop_instance_uid, char *error, size_t error_len);

/* Adds a content item below (`below` = 1) or after (0) the current one and makes it current; its concept
   name may be NULL for items that need none (an IMAGE under a CONTAINER). */
int cdcmsr_add(cdcmsr_document doc, int below, cdcmsr_relationship relationship, cdcmsr_value_type type,
               const char *value, const char *scheme, const char *meaning, char *error, size_t error_len);
/* The current item's value, by its type. */
int cdcmsr_set_text(cdcmsr_document doc, const char *text, char *error, size_t error_len);
int cdcmsr_set_code(cdcmsr_document doc, const char *value, const char *scheme, const char *meaning, char *error, size_t error_len);
int cdcmsr_set_num(cdcmsr_document doc, const char *number, const char *unit_value, const char *unit_scheme, const char *unit_meaning,
                   char *error, size_t error_len);
int cdcmsr_set_image(cdcmsr_document doc, const char *sop_class_uid, const char *sop_instance_uid, char *error, size_t error_len);
/* A closed polyline of `count` (column, row) points, image pixel coordinates (`points` holds 2 x count floats). */
int cdcmsr_set_polyline(cdcmsr_document doc, const float *points, size_t count, char *error, size_t error_len);
/* Makes the parent of the current item current. */
int cdcmsr_up(cdcmsr_document doc, char *error, size_t error_len);

/* Marks the document complete and writes it as a Part 10 file (Explicit VR Little Endian) to `path`
   (the caller renames it into place); the SOP Instance UID it was given goes into `uid`. */
int cdcmsr_write(cdcmsr_document doc, const char *path, char *uid, size_t uid_len, char *error, size_t error_len);

#ifdef __cplusplus
}
#endif

#endif
