"""The sample registry: a sample's record (:mod:`.model`), the registry file of a data
root (:mod:`.store`) and the text forms spock and the GUI read and print (:mod:`.text`)."""
