package io.github.leanpo.pipeline;

import java.util.Locale;

/** Which scored pairs are kept (DESIGN.md §5, step 4). */
public enum KeepPolicy {
    /** Keep every pair; LeanPO's dynamic label smoothing handles the ones the policy ranks wrongly. */
    KEEP_ALL,
    /** Keep only pairs the policy already ranks right: mean log-prob of the winner above the loser's. */
    REQUIRE_ORDER,
    /** Like {@link #REQUIRE_ORDER}, but first give a misordered winner more reflection rounds, up to a bound. */
    REFLECT_UNTIL_ORDERED;

    /** The command-line spelling: keep-all, require-order, reflect-until-ordered. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** Parses the command-line spelling (case-insensitive; underscores accepted). */
    public static KeepPolicy parse(String s) {
        String norm = s.trim().toLowerCase(Locale.ROOT).replace('_', '-');
        for (KeepPolicy p : values()) {
            if (p.cliName().equals(norm)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown keep policy '" + s + "' (use keep-all, require-order or reflect-until-ordered)");
    }
}
