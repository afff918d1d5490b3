# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by the driver's tests: secrets must never reach the driver's output.
#   no_secrets LABEL SECRETS -- FILES...
# SECRETS is a list of words (passwords, keys in hex); each is looked for in FILES as
# written, in upper case, and (for hex) as any 8-character piece of it, so a key printed
# in part or in another case is caught too.  Prints one line; returns 1 on a leak.
no_secrets() {
	local label=$1 secrets=() files=() s piece i leaks=0
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do secrets+=("$1"); shift; done
	shift
	files=("$@")
	for s in "${secrets[@]}"; do
		[ ${#s} -ge 6 ] || { echo "FAIL $label: secret '$s' is too short to look for"; return 1; }
		pieces=("$s" "${s^^}")
		if [[ $s =~ ^[0-9a-fA-F]+$ ]]; then
			for ((i = 0; i + 8 <= ${#s}; i += 8)); do pieces+=("${s:i:8}"); done
		fi
		for piece in "${pieces[@]}"; do
			if grep -q -F -i -- "$piece" "${files[@]}" 2>/dev/null; then
				echo "FAIL $label: a secret (${#s} characters) appears in the output:"
				grep -n -F -i -- "$piece" "${files[@]}" | head -n 3 | sed 's/^/  /'
				leaks=1
				break
			fi
		done
	done
	[ $leaks -eq 0 ] && echo "ok $label: none of ${#secrets[@]} secrets in ${#files[@]} outputs"
	return $leaks
}

# The hex key values of a `zcvpn genkey` file.
key_file_secrets() {
	sed -n 's/^[a-z0-9-]*-key *= *\([0-9a-fA-F]*\)$/\1/p' "$1"
}
