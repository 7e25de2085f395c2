"""The emotion model: weak labels from the real corpora (:mod:`.labels`), the rendered clip
set (:mod:`.corpus`), a person-labelled catalogue (:mod:`.catalogue`), the torch model
(:mod:`.model`), training and evaluation (:mod:`.train`) and its exports (:mod:`.export`)."""
