/* fixture.h - reads the PyTorch reference files of tests/fixtures (their format is in that
 * folder's README): named records of float32 values, looked up by name. */
#ifndef LN_TEST_FIXTURE_H
#define LN_TEST_FIXTURE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RECORDS 64

typedef struct {
    char name[16];
    uint32_t count;
    float *data;
} record;

static record records[MAX_RECORDS];
static int nrecords;

/* Reads every record of the file at path; 0 when it cannot be read or holds none. */
static int load_fixture(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    for (nrecords = 0; nrecords < MAX_RECORDS; nrecords++) {
        record *r = &records[nrecords];
        uint8_t cnt[4];
        if (fread(r->name, 1, 16, f) != 16) break;
        if (fread(cnt, 1, 4, f) != 4) break;
        r->count = (uint32_t)cnt[0] | (uint32_t)cnt[1] << 8 | (uint32_t)cnt[2] << 16 | (uint32_t)cnt[3] << 24;
        r->data = malloc(sizeof(float) * r->count);
        if (fread(r->data, sizeof(float), r->count, f) != r->count) return 0; /* little-endian host */
    }
    fclose(f);
    return nrecords > 0;
}

/* The record called name, when it holds count floats; else NULL. */
static const float *find_record(const char *name, uint32_t count) {
    for (int i = 0; i < nrecords; i++)
        if (strncmp(records[i].name, name, 16) == 0) return records[i].count == count ? records[i].data : NULL;
    return NULL;
}

static void free_fixture(void) {
    for (int i = 0; i < nrecords; i++) free(records[i].data);
    nrecords = 0;
}

#endif
