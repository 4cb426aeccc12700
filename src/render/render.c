#include "render/render.h"

void render_record(render_kind kind, const record *r, strbuf *out, lit_cache *lits)
{
    switch (kind) {
    case RENDER_JSON: render_json(r, out, lits); break;
    case RENDER_TEXT: render_text(r, out, lits); break;
    case RENDER_CONSOLE: render_console(r, false, out); break;
    default: render_console(r, true, out); break;
    }
}
