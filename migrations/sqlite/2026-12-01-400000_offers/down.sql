DROP TABLE offer_applications;
DROP TABLE offers;
