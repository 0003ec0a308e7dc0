/* ignore: .sourceignore / .gitignore pattern matching, with Flux's source-controller rules.
 *
 * Patterns use gitignore syntax: `#` comments, `!` negation, a trailing `/` for directories
 * only, a leading or inner `/` anchoring the pattern to the directory it was declared in (its
 * domain), `*`, `?`, `[...]` within one path segment and `**` across segments. The last pattern
 * that matches a path decides. Paths are relative to the source root, '/'-separated. A rule set
 * is built once, then only read, so it may be shared between threads. */
#ifndef EDDY_IGNORE_H
#define EDDY_IGNORE_H

#include <stdbool.h>

#include "eddy/err.h"

typedef struct ign_rules ign_rules;

ign_rules *ign_new(void);
void ign_free(ign_rules *r);
/* Add every pattern in text (one per line), scoped to domain ("" = the root, else a relative
 * directory path without trailing slash). */
void ign_add_text(ign_rules *r, const char *text, const char *domain);
/* Whether relpath is ignored. */
bool ign_match(const ign_rules *r, const char *relpath, bool is_dir);
/* How many patterns the set holds. */
unsigned ign_count(const ign_rules *r);

/* Flux's rules for a source tree (pkg/sourceignore): the VCS files are always excluded
 * (.git/, .gitignore, .gitmodules, .gitattributes); every .sourceignore file below root is
 * loaded, scoped to its directory; spec_ignore (may be NULL) is added last at the root. When
 * neither gives any pattern, Flux's default excludes are added (images, archives, CI files).
 * Fails with reason "SourceIgnoreError" when a .sourceignore cannot be read. */
ign_rules *ign_for_source(const char *root, const char *spec_ignore, err *e);

#endif
