# Normalise a Data Cube before its integrity constraints are checked (the two phases of the Data Cube
# recommendation's normalisation algorithm). Phase 1 adds the types and qb:componentProperty links that the
# qb:dimension / qb:measure / qb:attribute shorthand implies; phase 2 copies values attached to a data set or a
# slice down to each observation, so every observation carries all its components.
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX qb: <http://purl.org/linked-data/cube#>

# Phase 1: type and property closure
INSERT { ?o rdf:type qb:Observation } WHERE { [] qb:observation ?o . } ;
INSERT { ?o rdf:type qb:Observation } WHERE { ?o qb:dataSet [] . } ;
INSERT { ?s rdf:type qb:Slice } WHERE { [] qb:slice ?s . } ;
INSERT { ?cs qb:componentProperty ?p . ?p rdf:type qb:DimensionProperty . } WHERE { ?cs qb:dimension ?p . } ;
INSERT { ?cs qb:componentProperty ?p . ?p rdf:type qb:MeasureProperty . } WHERE { ?cs qb:measure ?p . } ;
INSERT { ?cs qb:componentProperty ?p . ?p rdf:type qb:AttributeProperty . } WHERE { ?cs qb:attribute ?p . } ;

# Phase 2: push values attached to a data set or a slice down to the observations
INSERT { ?obs ?comp ?value } WHERE {
  ?spec qb:componentProperty ?comp ;
        qb:componentAttachment qb:DataSet .
  ?dataset qb:structure [qb:component ?spec] ;
           ?comp ?value .
  ?obs qb:dataSet ?dataset .
} ;
INSERT { ?obs ?comp ?value } WHERE {
  ?spec qb:componentProperty ?comp ;
        qb:componentAttachment qb:Slice .
  ?dataset qb:structure [qb:component ?spec] ;
           qb:slice ?slice .
  ?slice ?comp ?value ;
         qb:observation ?obs .
} ;
INSERT { ?obs ?comp ?value } WHERE {
  ?spec qb:componentProperty ?comp .
  ?comp a qb:DimensionProperty .
  ?dataset qb:structure [qb:component ?spec] ;
           qb:slice ?slice .
  ?slice ?comp ?value ;
         qb:observation ?obs .
}
