#!/bin/bash
# The files of src/ depend on each other down the layers only (DESIGN.md
# section 9, STYLE.md): scripts/check_layers.py on the objects of the
# internal library in this build tree and on the #include lines of src/.
# It prints every upward edge and every cycle between files, with the
# symbols or the include that make it.
set -u
: "${top_builddir:?}" "${top_srcdir:?}"
PYTHON3=${PYTHON3:-/usr/bin/python3}
"$PYTHON3" "$top_srcdir/scripts/check_layers.py" "$top_builddir" "$top_srcdir"
rc=$?
# 2: no objects to read. The library is built before the tests run, so
# that is a failure too, not a skip.
[ "$rc" -eq 0 ] && echo "1 passed, 0 failed" || echo "0 passed, 1 failed"
exit "$rc"
