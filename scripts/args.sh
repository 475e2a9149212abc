# shellcheck shell=bash
# Shared by the wrapper scripts (export_schema.sh, init_fresh_db.sh,
# check_schema.sh), which take a few positional files, then `--` and arguments
# passed on to dbsnap. Source it after setting ROOT.
#
#   parse_args MAX "$@"   fills `positional` (at most MAX; `-` counts as a file,
#                         meaning stdout or stdin) and `passthrough`; -h prints
#                         the script's header comment and exits 0; a usage
#                         mistake exits 2 with the header
#   find_dbsnap           sets `dbsnap`: $DBSNAP, else the release binary,
#                         built when missing

script_name=$(basename "$0")

# The header comment of the sourcing script, from line 2 to the first line
# that is not a comment.
usage() {
  sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0"
}

usage_error() {
  printf '%s: %s\n\n' "$script_name" "$1" >&2
  usage >&2
  exit 2
}

# shellcheck disable=SC2034  # positional and passthrough are for the sourcing script
parse_args() {
  local max=$1
  shift
  positional=()
  passthrough=()
  while (($#)); do
    case $1 in
      -h | --help)
        usage
        exit 0
        ;;
      --)
        shift
        passthrough=("$@")
        break
        ;;
      -) positional+=("$1") ;;
      -*) usage_error "unknown option: $1" ;;
      *) positional+=("$1") ;;
    esac
    shift
  done
  ((${#positional[@]} <= max)) || usage_error "too many arguments"
}

find_dbsnap() {
  dbsnap=${DBSNAP:-$ROOT/target/release/dbsnap}
  if [[ -z ${DBSNAP:-} && ! -x $dbsnap ]]; then
    echo "$script_name: building $dbsnap" >&2
    cargo build --release --manifest-path "$ROOT/Cargo.toml" >&2
  fi
}
