"""Pure computation, never Qt: ``io`` < ``editor`` < ``protection`` < ``evaluation`` < ``workflow`` < ``batch``
< ``generator`` (each may import only the ones before it; an import-linter contract keeps it so)."""
