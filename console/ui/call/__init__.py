"""The call screen, composed of its panels: caller form, result, guidance and wrap-up."""
