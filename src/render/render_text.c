#include "render/render_text.h"

#include "render/format.h"
#include "render/line.h"

/* logfmt: every value that is not plain is quoted and escaped, so a value
 * holding a newline or a quote can never start a forged second record. */
static const line_format text_line = {
    .fmt = &fmt_logfmt,
    .key_form = LIT_TEXT_KEY,
    .value_form = LIT_TEXT_VALUE,
    .ts_key = LINE_TEXT("timestamp="),
    .level_key = LINE_TEXT(" level="),
    .logger_key = LINE_TEXT(" logger="),
    .event_key = LINE_TEXT(" event="),
    .exception_key = LINE_TEXT(" exception="),
    .end = LINE_TEXT("\n"),
};

void render_text(const record *r, strbuf *out, lit_cache *lits)
{
    line_render(&text_line, r, out, lits);
}
