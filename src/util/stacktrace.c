#include "util/stacktrace.h"

#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* One mapped module file with its symbol table located. Modules are few
 * and exceptions are rare, so a list searched under a mutex is enough.
 * Entries live as long as the process: a record being formatted on another
 * thread may be reading a name from one at any time. */
typedef struct elf_module {
    struct elf_module *next;
    char *path;
    const unsigned char *map; /* NULL when the file could not be read */
    size_t size;
    const ElfW(Sym) *syms;
    size_t nsyms;
    const char *strtab;
    size_t strtab_size;
    bool relative; /* ET_DYN: symbol values are offsets from the load base */
} elf_module;

static pthread_mutex_t modules_lock = PTHREAD_MUTEX_INITIALIZER;
static elf_module *modules;

static bool elf_section_ok(const elf_module *m, const ElfW(Shdr) *sh)
{
    return sh->sh_offset <= m->size && sh->sh_size <= m->size - sh->sh_offset;
}

/* Finds .symtab (or .dynsym when stripped) and its string table. */
static void elf_find_symbols(elf_module *m)
{
    const ElfW(Ehdr) *eh = (const ElfW(Ehdr) *)m->map;
    if (m->size < sizeof *eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
        eh->e_ident[EI_CLASS] != (sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32))
        return;
    if (eh->e_shoff == 0 || eh->e_shentsize != sizeof(ElfW(Shdr)) ||
        eh->e_shoff > m->size ||
        (size_t)eh->e_shnum * sizeof(ElfW(Shdr)) > m->size - eh->e_shoff)
        return;
    m->relative = eh->e_type == ET_DYN;
    const ElfW(Shdr) *sh = (const ElfW(Shdr) *)(m->map + eh->e_shoff);
    const ElfW(Shdr) *best = NULL;
    for (unsigned i = 0; i < eh->e_shnum; i++) {
        if (sh[i].sh_type == SHT_SYMTAB ||
            (sh[i].sh_type == SHT_DYNSYM && best == NULL))
            best = &sh[i];
    }
    if (best == NULL || best->sh_link >= eh->e_shnum || !elf_section_ok(m, best) ||
        !elf_section_ok(m, &sh[best->sh_link]))
        return;
    m->syms = (const ElfW(Sym) *)(m->map + best->sh_offset);
    m->nsyms = best->sh_size / sizeof(ElfW(Sym));
    m->strtab = (const char *)(m->map + sh[best->sh_link].sh_offset);
    m->strtab_size = sh[best->sh_link].sh_size;
}

static elf_module *elf_module_get(const char *path)
{
    for (elf_module *m = modules; m != NULL; m = m->next)
        if (strcmp(m->path, path) == 0)
            return m;
    elf_module *m = calloc(1, sizeof *m);
    if (m == NULL)
        return NULL;
    m->path = strdup(path);
    if (m->path == NULL) {
        free(m);
        return NULL;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0 && st.st_size > 0) {
        void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map != MAP_FAILED) {
            m->map = map;
            m->size = (size_t)st.st_size;
            elf_find_symbols(m);
        }
    }
    if (fd >= 0)
        close(fd);
    m->next = modules;
    modules = m;
    return m;
}

/* The function containing addr, from the module's own symbol table. */
static const char *elf_lookup(elf_module *m, uintptr_t addr, uintptr_t base,
                              uintptr_t *offset)
{
    uintptr_t want = m->relative ? addr - base : addr;
    for (size_t i = 0; i < m->nsyms; i++) {
        const ElfW(Sym) *s = &m->syms[i];
        if (ELF64_ST_TYPE(s->st_info) != STT_FUNC || s->st_value == 0 ||
            s->st_name >= m->strtab_size)
            continue;
        if (want >= s->st_value && want < s->st_value + (s->st_size ? s->st_size : 1)) {
            *offset = want - s->st_value;
            return m->strtab + s->st_name;
        }
    }
    return NULL;
}

/* The C++ runtime's demangler, when the program has one: looked up at run
 * time, so that C programs need no C++ library. It allocates, which is why
 * the crash handler's own trace (src/core/crash.c), written on the signal
 * path, keeps the mangled names; its copy for the async writer is
 * formatted here, off that path, and is demangled. */
typedef char *(*stacktrace_demangle_fn)(const char *mangled, char *buf, size_t *len,
                                        int *status);

static stacktrace_demangle_fn stacktrace_demangler(void)
{
    void *sym = dlsym(RTLD_DEFAULT, "__cxa_demangle");
    stacktrace_demangle_fn fn = NULL;
    memcpy(&fn, &sym, sizeof fn);
    return fn;
}

static void stacktrace_format_frame(int i, void *frame, stacktrace_demangle_fn demangle,
                                    strbuf *out)
{
    /* A return address points after the call; look up the call itself. */
    uintptr_t addr = (uintptr_t)frame - (i > 0 ? 1 : 0);
    Dl_info info;
    memset(&info, 0, sizeof info);
    const char *name = NULL;
    uintptr_t offset = 0;
    if (dladdr((void *)addr, &info) != 0 && info.dli_fname != NULL) {
        if (info.dli_sname != NULL) {
            name = info.dli_sname;
            offset = addr - (uintptr_t)info.dli_saddr;
        } else {
            pthread_mutex_lock(&modules_lock);
            elf_module *m = elf_module_get(info.dli_fname);
            if (m != NULL)
                name = elf_lookup(m, addr, (uintptr_t)info.dli_fbase, &offset);
            pthread_mutex_unlock(&modules_lock);
        }
    }
    const char *module = info.dli_fname ? info.dli_fname : "?";
    const char *slash = strrchr(module, '/');
    if (slash != NULL)
        module = slash + 1;
    /* Only names in the Itanium C++ ABI's mangling ("_Z..."): a C name
     * such as "Zap" must not be read as a type. */
    char *readable = NULL;
    int status = -1;
    if (name != NULL && demangle != NULL && strncmp(name, "_Z", 2) == 0)
        readable = demangle(name, NULL, NULL, &status);
    if (readable != NULL && status == 0)
        name = readable;
    if (name != NULL)
        strbuf_printf(out, "  #%d %s+0x%lx (%s)\n", i, name,
                      (unsigned long)offset + (i > 0 ? 1 : 0), module);
    else
        strbuf_printf(out, "  #%d %p (%s)\n", i, frame, module);
    free(readable);
}

void stacktrace_format(void *const *frames, int n, strbuf *out)
{
    strbuf_puts(out, "Stack trace (most recent call first):\n");
    /* Once a trace: a library loaded since may have brought the runtime. */
    stacktrace_demangle_fn demangle = stacktrace_demangler();
    for (int i = 0; i < n; i++)
        stacktrace_format_frame(i, frames[i], demangle, out);
    /* No trailing newline: renderers add their own line ends. */
    if (out->len > 0 && out->data[out->len - 1] == '\n')
        out->data[--out->len] = '\0';
}
