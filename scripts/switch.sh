# shellcheck shell=bash
# switch NAME: whether the on/off variable NAME is on. 1, y, yes, true (any
# case) mean on; empty, 0, n, no, false mean off; anything else is a usage
# error (exit 2), so a typo is not silently taken for "off".
switch() {
  local name=$1 value=${!1:-}
  case ${value,,} in
    1 | y | yes | true | on) return 0 ;;
    "" | 0 | n | no | false | off) return 1 ;;
    *)
      echo "$name must be 1, y, yes or true (or empty, 0, n, no, false), not '$value'" >&2
      exit 2
      ;;
  esac
}
