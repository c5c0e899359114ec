# bash completion for cryptvm (install as /usr/share/bash-completion/completions/cryptvm)
# Volume and guest names come from `cryptvm status --json` (root only, like the API); silent on failure.

_cryptvm_names() {
    # $1: volumes | guests
    cryptvm status --json 2>/dev/null |
        sed -n "/^  \"$1\": \[/,/^  \]/s/^      \"name\": \"\([^\"]*\)\".*/\1/p"
}

_cryptvm() {
    local cur prev words cword
    _init_completion 2>/dev/null || {
        cur=${COMP_WORDS[COMP_CWORD]}
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
    }
    local commands="status plan unlock lock guests reload doctor check-config"
    if [[ $cword -eq 1 ]]; then
        COMPREPLY=($(compgen -W "$commands --help --version" -- "$cur"))
        return
    fi
    case ${words[1]} in
        status | plan) COMPREPLY=($(compgen -W "--json --help" -- "$cur")) ;;
        unlock) COMPREPLY=($(compgen -W "$(_cryptvm_names volumes) --stdin --help" -- "$cur")) ;;
        lock)
            if [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W "--stop-guests --help" -- "$cur"))
            else
                COMPREPLY=($(compgen -W "$(_cryptvm_names volumes)" -- "$cur"))
            fi
            ;;
        guests)
            if [[ $cword -eq 2 ]]; then
                COMPREPLY=($(compgen -W "start stop" -- "$cur"))
            elif [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W "--wait --help" -- "$cur"))
            else
                COMPREPLY=($(compgen -W "$(_cryptvm_names guests)" -- "$cur"))
            fi
            ;;
        check-config) COMPREPLY=($(compgen -f -- "$cur")) ;;
        *) COMPREPLY=($(compgen -W "--help" -- "$cur")) ;;
    esac
}
complete -F _cryptvm cryptvm
