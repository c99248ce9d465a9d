"""Personal-data protection for the VssID assistant: ``from privacy.mask import mask``.

Nothing is re-exported here, so ``privacy.mask`` stays the module (a ``mask``
function in this namespace would hide it).
"""
